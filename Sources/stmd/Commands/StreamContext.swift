import Foundation
import STMDaemon
import STMMemory
import STMTasks

/// `stmd annotate --stream NAME`: annotations read in a stream's memory, kept in a state folder's database — the
/// same tables the daemon uses, so `--state` may name a daemon's state folder.
///
/// Read-write (the default) takes the state folder's lock like the daemon, so it refuses a folder a running daemon
/// holds; `--read-only` reads that memory (WAL: while the daemon runs) and changes nothing — then the files of one
/// invocation still see each other, in RAM. Each file's event time is its mtime (standard input: now).
final class StreamContext {
    let stream: String
    let readOnly: Bool
    private let ledger: Ledger
    private let directory: StateDirectory
    private var memory: StreamMemory
    private let epoch: Int
    let settings: MemorySettings

    private init(
        stream: String, readOnly: Bool, settings: MemorySettings, ledger: Ledger, directory: StateDirectory,
        stored: StoredStreamMemory?
    ) {
        self.stream = stream
        self.readOnly = readOnly
        self.settings = settings
        self.ledger = ledger
        self.directory = directory
        memory = stored?.memory(settings: settings) ?? StreamMemory(settings: settings)
        epoch = stored?.epoch ?? 0
    }

    /// Opens the state folder (locking it unless `readOnly`) and loads the stream's memory.
    static func open(stream: String, statePath: String, readOnly: Bool, settings: MemorySettings) throws -> StreamContext {
        let directory: StateDirectory
        do {
            directory = try StateDirectory(path: statePath)
        } catch {
            throw CommandFailure(error.description)
        }
        if !readOnly {
            do {
                try directory.lock()
            } catch {
                if error == .locked(path: statePath) {
                    throw CommandFailure(
                        "state folder \(statePath) is held by a running stmd; pass --read-only to annotate in its memory without changing it, or another --state DIR")
                }
                throw CommandFailure(error.description)
            }
        }
        do {
            let ledger = try Ledger(stateDirectory: statePath, mode: readOnly ? .readOnly : .readWrite)
            return StreamContext(
                stream: stream, readOnly: readOnly, settings: settings, ledger: ledger, directory: directory,
                stored: try ledger.loadMemory(stream: stream))
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }

    /// The annotation of one document in the stream's context; the stream's memory then includes it.
    func annotate(_ annotator: DocumentAnnotator, contents: [UInt8], name: [UInt8], modificationTime: Double) throws -> Annotation {
        var (annotation, vector) = annotator.annotate(
            contents: contents, name: name, stream: stream, vectorTask: settings.topicTask)
        let document = MemoryDocument(
            annotation: annotation, name: annotation.input.name, time: modificationTime, vector: vector, settings: settings)
        var next = memory
        let step = next.apply(document)
        annotation.memory = step.section
        if !readOnly {
            do {
                try ledger.storeMemory(MemoryUpdate(stream: stream, epoch: epoch, memory: next, entry: step.entry))
            } catch {
                throw CommandFailure(String(describing: error))
            }
        }
        memory = next
        return annotation
    }
}
