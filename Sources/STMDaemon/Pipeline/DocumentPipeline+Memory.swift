import Foundation
import Logging
import STMMemory
import STMTasks

extension DocumentPipeline {
    static func daemonSection(version: String, location: DocumentLocation) -> Annotation.DaemonSection {
        Annotation.DaemonSection(version: version, relativePath: InputName(bytes: location.relativePath).name)
    }

    /// A document after its memory step: finished (no group commit, or memory unavailable), or with its place
    /// in the commit order reserved and its output still to write.
    enum StagedDocument {
        case finished(Outcome)
        case reserved(
            OutputCommitter, OutputCommitter.Slot, ReadyDocument, Annotation, MemoryUpdate,
            done: @Sendable () -> Void, memoryDone: @Sendable () -> Void)
    }

    /// Writes a staged document's output into its reserved place (outside any turn).
    func complete(_ staged: StagedDocument) -> Outcome {
        switch staged {
        case .finished(let outcome):
            return outcome
        case .reserved(let committer, let slot, let document, let annotated, let update, let done, let memoryDone):
            let outcome = finishDocument(
                document, annotation: annotated, memory: update, slot: slot, done: done)
            if outcome != .handedOff { committer.fill(slot, memoryOnly: update, done: memoryDone) }
            return outcome
        }
    }

    /// The memory step, in the document's turn of its stream: apply it to the stream's memory and put the `memory`
    /// section in its annotation. The memory change is stored with the document's ledger row, in the stream's
    /// order: with the group commit, the turn ends once a place in the commit order is reserved (the output is
    /// written and fsynced outside it, so two workers do not wait for each other's disk); without it, once the
    /// output is published.
    ///
    /// A document whose output cannot be written (a full disk) still has its memory change stored, in its place:
    /// later documents of the stream were already read in its context. Its retry then counts it again.
    ///
    /// A worker stages every document of its batch before writing any output, so a worker holding later documents
    /// of the same stream waits for memory steps only, never for another worker's disk.
    func stageInStreamContext(
        _ document: ReadyDocument, annotation: Annotation, vector: [Float]?, done: @escaping @Sendable () -> Void
    ) -> StagedDocument {
        guard let engine = memory else { return .finished(finishDocument(document, annotation: annotation, done: done)) }
        let location = document.item.location
        let stream = location.stream
        let display = Self.display(document.item.path)
        let cache = engine.cache
        let committedDone: @Sendable () -> Void = {
            cache.committed(stream: stream)
            done()
        }
        return engine.inTurn(document.item) { () -> StagedDocument in
            let memoryDocument = engine.memoryDocument(
                annotation: annotation, name: InputName(bytes: location.relativePath).name,
                time: document.hint.modificationTime.timeIntervalSince1970, vector: vector)
            let result: (step: StreamMemory.Step, previous: StreamMemory, memory: StreamMemory, update: MemoryUpdate, epoch: Int)
            do {
                result = try engine.step(stream: stream, document: memoryDocument)
            } catch {
                log.warning("\(display): stream memory unavailable (\(error)); annotated without it")
                return .finished(finishDocument(document, annotation: annotation, done: done))
            }
            var annotated = annotation
            let section = result.step.section
            annotated.memory = section
            if section.drift.alert {
                let signals = DocumentLogEntry.driftSignals(section.drift)
                log.event(
                    .driftAlert, .warning, "stream \(stream): drift (\(signals.joined(separator: ", "))) at \(display)",
                    metadata: [
                        "stream": .string(stream), "file": .string(InputName(bytes: location.relativePath).name),
                        "drift": .string(signals.joined(separator: ",")),
                    ])
            }
            cache.checkin(stream: stream, memory: result.memory, epoch: result.epoch)
            cache.beginCommit(stream: stream)
            if let committer {
                return .reserved(
                    committer, committer.reserve(), document, annotated, result.update, done: committedDone,
                    memoryDone: { cache.committed(stream: stream) })
            }
            let outcome = finishDocument(
                document, annotation: annotated, memory: result.update, done: committedDone)
            if outcome != .handedOff {
                if outcome != .published { cache.checkin(stream: stream, memory: result.previous, epoch: result.epoch) }
                cache.committed(stream: stream)
            }
            return .finished(outcome)
        }
    }
}
