import Foundation
import Logging
import STMMemory
import STMTasks

extension DocumentPipeline {
    static func daemonSection(version: String, location: DocumentLocation) -> Annotation.DaemonSection {
        Annotation.DaemonSection(version: version, relativePath: InputName(bytes: location.relativePath).name)
    }

    /// The memory step, in the document's turn of its stream: apply it to the stream's memory, put the `memory`
    /// section in its annotation and hand the memory change to the commit of its ledger row. The turn is held until
    /// the output is handed to the group commit, so the stream's changes are committed in the order they were made.
    func finishInStreamContext(
        _ document: ReadyDocument, annotation: Annotation, vector: [Float]?, done: @escaping @Sendable () -> Void
    ) -> Outcome {
        guard let engine = memory else { return finishDocument(document, annotation: annotation, done: done) }
        let location = document.item.location
        let stream = location.stream
        return engine.inTurn(document.item) {
            let display = Self.display(document.item.path)
            let memoryDocument = engine.memoryDocument(
                annotation: annotation, name: InputName(bytes: location.relativePath).name,
                time: document.hint.modificationTime.timeIntervalSince1970, vector: vector)
            let previous: StreamMemory
            let result: (step: StreamMemory.Step, memory: StreamMemory, update: MemoryUpdate, epoch: Int)
            do {
                previous = try engine.cache.checkout(stream: stream).memory
                result = try engine.step(stream: stream, document: memoryDocument)
            } catch {
                log.warning("\(display): stream memory unavailable (\(error)); annotated without it")
                return finishDocument(document, annotation: annotation, done: done)
            }
            var annotated = annotation
            annotated.memory = result.step.section
            let section = result.step.section
            if section.drift.alert {
                let signals = DocumentLogEntry.driftSignals(section.drift)
                log.event(
                    .driftAlert, .warning, "stream \(stream): drift (\(signals.joined(separator: ", "))) at \(display)",
                    metadata: [
                        "stream": .string(stream), "file": .string(InputName(bytes: location.relativePath).name),
                        "drift": .string(signals.joined(separator: ",")),
                    ])
            }
            engine.cache.checkin(stream: stream, memory: result.memory, epoch: result.epoch)
            engine.cache.beginCommit(stream: stream)
            let cache = engine.cache
            let outcome = finishDocument(
                document, annotation: annotated, memory: result.update,
                done: {
                    cache.committed(stream: stream)
                    done()
                })
            if outcome != .handedOff {
                if outcome != .published { cache.checkin(stream: stream, memory: previous, epoch: result.epoch) }
                cache.committed(stream: stream)
            }
            return outcome
        }
    }
}
