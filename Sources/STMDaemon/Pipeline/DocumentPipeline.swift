import Logging
public import STMTasks
import Foundation
import Glibc
import STMMemory
import Synchronization

/// The work of one document, run on a worker thread: read it safely, skip it when this exact content already
/// has its output, annotate it, and publish the output through the crash-safe protocol (temporary file →
/// ledger commit → rename → mark). Bad input gets an error output; a transient failure is retried with backoff.
/// The input file is never modified.
public final class DocumentPipeline: @unchecked Sendable {
    let ledger: Ledger
    let writer: OutputWriter
    let log: DaemonLog
    let version: String
    /// The configuration and every configured model (loaded once; workers take siblings sharing the weights),
    /// swapped whole by a reload. `generation` tells workers to drop the annotators of an older set.
    private var current: (configuration: DaemonConfiguration, models: [String: TaskModel], generation: Int)
    private let modelsLock = NSLock()
    #if DEBUG
        /// `STMD_FAULTS=hang-worker:GLOB`: a worker that takes a matching document never returns from it.
        let hangingNames: [String]
        /// `STMD_FAULTS=die-after-judging:GLOB`: exit between a lines file's state commit and its output.
        let dyingAfterJudging: [String]
        /// `STMD_FAULTS=fail-output-sync:GLOB`: the fsync of a matching document's temporary file fails (EIO).
        let failingSyncNames: [String]
    #endif
    let counters: PipelineCounters
    /// The log detector of `kind = "lines"` streams (set by the daemon when a stream has that kind).
    public var lineMonitor: LogStreamMonitor?
    /// The group commit (nil: every output is committed on its own, as tests of single documents want).
    private(set) var committer: OutputCommitter?
    /// Stream memory (nil: off). Set before the workers start.
    public var memory: StreamMemoryEngine?

    public init(
        configuration: DaemonConfiguration, ledger: Ledger, writer: OutputWriter, log: DaemonLog, version: String,
        models: [String: TaskModel], counters: PipelineCounters
    ) {
        self.current = (configuration, models, 0)
        self.ledger = ledger
        self.writer = writer
        self.log = log
        self.version = version
        self.counters = counters
        #if DEBUG
            let faults = PipelineFaultHooks.fromEnvironment()
            hangingNames = faults.hangingNames
            dyingAfterJudging = faults.dyingAfterJudging
            failingSyncNames = faults.failingSyncNames
        #endif
    }

    public var configuration: DaemonConfiguration { modelsLock.withLock { current.configuration } }
    var models: [String: TaskModel] { modelsLock.withLock { current.models } }

    /// A reload: documents taken from now on use `configuration` and `models`; one in progress finishes with
    /// what it started with.
    public func replace(configuration: DaemonConfiguration, models: [String: TaskModel]) {
        modelsLock.withLock { current = (configuration, models, current.generation + 1) }
    }

    public enum Outcome: Equatable, Sendable {
        case published
        case unchanged
        case errorOutput(code: String)
        case retryLater
        case skipped(reason: String)
        case failed(reason: String)
        /// Written and handed to the group commit, which publishes it and then calls `done`.
        case handedOff
    }

    /// Per worker thread: the models it has loaded, by task set (a worker loads each model once), and the
    /// thread that shares a lone document's tasks with it (started on first use).
    public final class WorkerState {
        var annotators: [String: DocumentAnnotator] = [:]
        var generation = 0
        private var startedHelper: TaskHelperThread?
        public init() {}

        var helper: TaskHelperThread {
            if let startedHelper { return startedHelper }
            let helper = TaskHelperThread()
            startedHelper = helper
            return helper
        }

        deinit { startedHelper?.stop() }
    }

    /// Workers annotating at this moment: a worker with a lone document uses its helper thread only when no
    /// other worker is annotating, so the helper takes an idle core rather than one another document needs.
    private let annotatingWorkers = Atomic<Int>(0)

    /// Processes one document; `done` runs once it is finished — at return, or after the group commit has
    /// published its output.
    @discardableResult
    public func process(_ item: WorkItem, state: WorkerState, done: @escaping @Sendable () -> Void = {}) -> Outcome {
        process(batch: [(item, done)], state: state)[0]
    }

    /// Processes several documents taken together from the scheduler (one lock round trip for a burst). Each `done`
    /// runs once its document is finished.
    @discardableResult
    public func process(batch: [(item: WorkItem, done: @Sendable () -> Void)], state: WorkerState) -> [Outcome] {
        var outcomes = [Outcome](repeating: .skipped(reason: "pending"), count: batch.count)
        var ready: [ReadyDocument] = []
        for (index, entry) in batch.enumerated() {
            #if DEBUG
                if PipelineFaultHooks.matches(entry.item.location.name, hangingNames) {
                    log.warning("fault hook: worker hangs on \(Self.display(entry.item.path))")
                    while true { sleep(3600) }
                }
            #endif
            switch readDocument(entry.item, state: state) {
            case .finished(let outcome):
                outcomes[index] = outcome
                memory?.skipTurn(entry.item)
            case .ready(var document):
                document.index = index
                ready.append(document)
            }
        }
        // Each document is annotated on its own: batched inference takes other kernels (a bf16 GEMM instead of the
        // GEMV) whose rounding differs in the 3rd decimal, and an annotation must depend on its input only, never
        // on which documents happened to share a batch. The same path as `stmd annotate`, so both give equal bytes.
        let others = annotatingWorkers.add(1, ordering: .relaxed).oldValue
        defer { annotatingWorkers.subtract(1, ordering: .relaxed) }
        let helper = ready.count == 1 && others == 0 ? state.helper : nil
        if memory == nil {
            for document in ready {
                let annotation = document.annotator.annotate(
                    contents: document.contents, name: document.item.location.name, stream: document.item.location.stream,
                    vectorTask: nil, helper: helper
                ).annotation
                outcomes[document.index] = finishDocument(document, annotation: annotation, done: batch[document.index].done)
            }
        } else {
            // Stream memory: the whole batch is annotated, then every document's memory step runs (in its stream's
            // turn), then the outputs are written — so a worker holding later documents of the same streams waits
            // only for memory steps, never for another worker's inference or disk.
            do {
                try memory?.noticeResets()
            } catch {
                // The counter could not be read: the epoch guard still keeps updates made before a reset out of the
                // database, and the next batch tries again.
                log.warning("stream memory: reset counter unreadable (\(error))")
            }
            let annotated = ready.map { document in
                document.annotator.annotate(
                    contents: document.contents, name: document.item.location.name,
                    stream: document.item.location.stream, vectorTask: memory?.settings.topicTask, helper: helper)
            }
            let staged = zip(ready, annotated).map { document, result in
                stageInStreamContext(
                    document, annotation: result.annotation, vector: result.documentVector, done: batch[document.index].done)
            }
            for (document, stagedDocument) in zip(ready, staged) { outcomes[document.index] = complete(stagedDocument) }
        }
        for (index, outcome) in outcomes.enumerated() where outcome != .handedOff { batch[index].done() }
        return outcomes
    }

    /// A document read, checked and not yet annotated.
    struct ReadyDocument {
        var item: WorkItem
        var contents: [UInt8]
        var hash: String
        var hint: FileHint
        var annotator: DocumentAnnotator
        var index = 0
    }

    enum ReadResult {
        case finished(Outcome)
        case ready(ReadyDocument)
    }

    private func readDocument(_ item: WorkItem, state: WorkerState) -> ReadResult {
        let location = item.location
        let settings = configuration.settings(forStream: location.stream)
        let name = location.name
        let display = Self.display(item.path)
        guard settings.enabled else { return .finished(.skipped(reason: "stream disabled")) }
        if settings.ignores(name: name) { return .finished(.skipped(reason: "ignored name")) }
        let contents: [UInt8]
        let hint: FileHint
        do {
            (contents, hint) = try DocumentReader(maximumSize: settings.maximumFileSize).readWithHint(path: item.path)
        } catch .vanished {
            log.debug("\(display): gone before it was read")
            // A retry whose input has gone: settle its row, or it would be retried every second forever.
            if let record = try? ledger.lookup(location), record.status == .retrying {
                _ = try? ledger.recordFailure(location, content: record.content, error: DocumentReadError.vanished.description, transient: false)
            }
            return .finished(.skipped(reason: "vanished"))
        } catch {
            return .finished(handleReadFailure(error, item: item, contents: nil))
        }
        let hash = SHA256.hex(of: SHA256.hash(contents))
        do {
            if let record = try ledger.lookup(location), record.content?.sha256 == hash,
                record.status == .done || record.status == .failed || record.status == .committed
            {
                log.debug("\(display): already processed (same content)")
                return .finished(.unchanged)
            }
        } catch {
            log.error("ledger lookup for \(display): \(error)")
        }
        if settings.kind == .lines {
            guard let lineMonitor else { return .finished(.failed(reason: "no log monitor")) }
            return .finished(processLines(item, contents: contents, hash: hash, hint: hint, monitor: lineMonitor))
        }
        do {
            let annotator = try self.annotator(for: settings.tasks, state: state)
            return .ready(ReadyDocument(item: item, contents: contents, hash: hash, hint: hint, annotator: annotator))
        } catch {
            log.error("\(display): \(error)")
            return .finished(.failed(reason: String(describing: error)))
        }
    }

    /// The output protocol for an annotated document; `memory` is stored with its ledger row.
    func finishDocument(
        _ document: ReadyDocument, annotation: Annotation, memory: MemoryUpdate? = nil,
        slot: OutputCommitter.Slot? = nil, done: @escaping @Sendable () -> Void
    ) -> Outcome {
        let location = document.item.location
        let display = Self.display(document.item.path)
        let contents = document.contents, hash = document.hash
        var annotation = annotation
        annotation.daemon = Self.daemonSection(version: version, location: location)
        let json: [UInt8]
        do {
            json = try annotation.encoded()
        } catch {
            log.error("\(display): cannot encode the annotation: \(error)")
            return .failed(reason: "encoding")
        }
        let content = ContentIdentity(
            sha256: hash, size: Int64(contents.count), modificationTime: document.hint.modificationTime)
        let entry = DocumentLogEntry(
            annotation: annotation, stream: location.stream, relativePath: InputName(bytes: location.relativePath).name,
            display: display)
        do {
            if let committer {
                // Handed over before the fsync, which then runs while the committer commits the ledger row.
                let written = try writer.write(json: json, for: location, kind: .annotation)
                let ticket = OutputCommitter.SyncTicket()
                let pending = OutputCommitter.Pending(
                    output: CommittedOutput(
                        prepared: written.prepared, content: content, modelVersions: annotation.models, memory: memory),
                    display: display, entry: entry, done: done, sync: ticket)
                if let slot {
                    committer.fill(slot, with: pending)
                } else {
                    committer.submit(pending)
                }
                committer.resolve(ticket, error: syncOutput(written))
                return .handedOff
            }
            try publish(
                json: json, location: location, kind: .annotation, content: content, modelVersions: annotation.models,
                error: nil, memory: memory)
        } catch {
            log.warning("\(display): output not written: \(error)")
            return retryLater(location, content: content, error: String(describing: error))
        }
        counters.published()
        log.log(log.documentLevel, entry.message, metadata: entry.metadata)
        return .published
    }

    /// Step 1's fsync of a handed-over output (`STMD_FAULTS=fail-output-sync:GLOB` makes it fail in debug builds).
    private func syncOutput(_ written: WrittenOutput) -> OutputError? {
        let error = writer.sync(written)
        #if DEBUG
            if PipelineFaultHooks.matches(written.prepared.location.name, failingSyncNames) {
                return .system(operation: "fsync", path: PathBytes.render(written.prepared.temporaryPath), errno: EIO)
            }
        #endif
        return error
    }

    /// Steps 1–4 of the output protocol for one document.
    func publish(
        json: [UInt8], location: DocumentLocation, kind: OutputKind, content: ContentIdentity,
        modelVersions: [String: String], error: String?, memory: MemoryUpdate? = nil
    ) throws {
        let prepared = try writer.prepare(json: json, for: location, kind: kind)
        let tokens: [CommitToken]
        do {
            tokens = try ledger.commit([
                CommittedOutput(prepared: prepared, content: content, modelVersions: modelVersions, error: error, memory: memory)
            ])
        } catch {
            writer.discard(prepared)
            throw error
        }
        do {
            try writer.publish(prepared)
        } catch {
            // The row stays `committed` only if its temporary file does: drop both, and let the caller decide.
            writer.discard(prepared)
            throw error
        }
        do {
            try ledger.markPublished(tokens)
        } catch {
            // The output is in place; the row stays `committed` and the next start's recovery marks it.
            log.warning("ledger: output published but not marked (\(error)); recovery will mark it")
        }
    }

    private func handleReadFailure(_ error: DocumentReadError, item: WorkItem, contents: [UInt8]?) -> Outcome {
        let display = Self.display(item.path)
        let location = item.location
        if error.isTransient {
            let previous = (try? ledger.lookup(location))?.attempts ?? 0
            if previous + 1 < configuration.retry.maxAttempts {
                let delay = configuration.retry.backoff(afterAttempt: previous + 1)
                log.warning("\(display): \(error); retrying in \(DaemonConfiguration.format(delay))")
                _ = try? ledger.recordFailure(
                    location, content: nil, error: error.description, transient: true,
                    nextAttempt: Date().addingTimeInterval(Self.seconds(delay)))
                return .retryLater
            }
        }
        log.event(.documentFailed, .warning, "\(display): \(error)", metadata: Self.failureMetadata(location, error))
        counters.failed()
        if case .move(let directory) = configuration.failed {
            switch FailedFileMover(directory: directory).move(location) {
            case .success(let destination):
                log.notice("\(display): moved to \(destination)")
                _ = try? ledger.recordFailure(location, content: nil, error: error.description, transient: false)
                return .errorOutput(code: error.code)
            case .failure(let moveError):
                log.warning("\(display): cannot move it to \(directory) (\(moveError.description)); writing an error file instead")
            }
        }
        let report = ErrorReport(
            stream: location.stream, name: location.name, contents: contents, error: error, attempts: 1,
            daemon: Annotation.DaemonSection(version: version, relativePath: InputName(bytes: location.relativePath).name))
        do {
            let json = try report.encoded()
            // The identity of an unreadable file is what the error output says, with the file's size and time as
            // hints, so a rescan of the same unchanged file does not write its error output again.
            let hint = FileHint(path: item.path)
            let content = ContentIdentity(
                sha256: SHA256.hex(of: SHA256.hash(json)), size: hint?.size ?? Int64(contents?.count ?? 0),
                modificationTime: hint?.modificationTime)
            try publish(json: json, location: location, kind: .error, content: content, modelVersions: [:], error: error.description)
        } catch {
            log.error("\(display): error output not written: \(error)")
            _ = try? ledger.recordFailure(location, content: nil, error: String(describing: error), transient: false)
        }
        return .errorOutput(code: error.code)
    }

    /// A transient failure: the document is tried again after the first backoff (the ledger doubles it from there).
    func retryLater(_ location: DocumentLocation, content: ContentIdentity?, error: String) -> Outcome {
        _ = try? ledger.recordFailure(
            location, content: content, error: error, transient: true,
            nextAttempt: Date().addingTimeInterval(Self.seconds(configuration.retry.initialBackoff)))
        return .retryLater
    }

    private func annotator(for tasks: [String: TaskSpec], state: WorkerState) throws -> DocumentAnnotator {
        let (models, generation) = modelsLock.withLock { (current.models, current.generation) }
        if state.generation != generation {
            state.annotators.removeAll()
            state.generation = generation
        }
        let key = tasks.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if let existing = state.annotators[key] { return existing }
        var loaded: [(name: String, model: TaskModel, options: TaskOptions)] = []
        for (task, spec) in tasks.sorted(by: { $0.key < $1.key }) {
            guard let shared = models[spec.model] else { throw ModelLoadError.notFound(name: spec.model, searched: []) }
            loaded.append((task, modelsLock.withLock { shared.sibling() }, spec.options))
        }
        let annotator = DocumentAnnotator(models: loaded)
        state.annotators[key] = annotator
        return annotator
    }

    /// Whether a rescan's file is already settled in the ledger — done or failed with the same size and
    /// modification time — so it need not be queued, read and hashed again. Only for rescans (start-up, overflow,
    /// reconciliation, polling): an inotify event means a new write and is always processed (the content hash then
    /// decides).
    public func isSettled(_ item: WorkItem) -> Bool {
        guard let record = try? ledger.lookup(item.location), record.status == .done || record.status == .failed,
            let content = record.content, let stored = content.modificationTime,
            let hint = FileHint(path: item.path, followingLinks: false)
        else { return false }
        return content.size == hint.size && stored == hint.modificationTime
    }

    /// A path for a log line: invalid UTF-8 escaped as in annotations, and control characters (a newline in a
    /// name would split the log line) written as `\n`, `\t` or `\u{…}`.
    /// Starts the group-commit thread: from now on annotations are committed in batches.
    public func startGroupCommit() {
        committer = OutputCommitter(
            ledger: ledger, writer: writer, log: log, counters: counters,
            retryDelay: Self.seconds(configuration.retry.initialBackoff),
            maximumRetryDelay: Self.seconds(configuration.retry.maximumBackoff))
    }

    /// Publishes what was handed over and stops the group commit (after the workers have stopped).
    public func finishGroupCommit() {
        committer?.close()
        committer = nil
    }

    static func display(_ path: [UInt8]) -> String {
        var text = ""
        for scalar in InputName(bytes: path).name.unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    static func failureMetadata(_ location: DocumentLocation, _ error: DocumentReadError) -> Logger.Metadata {
        [
            "stream": .string(location.stream), "file": .string(InputName(bytes: location.relativePath).name),
            "error": .string(error.code),
        ]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// Counts for the status line and `stmd status` (documents per second), updated from every worker.
public final class PipelineCounters: @unchecked Sendable {
    private var lock = NSLock()
    private var publishedCount = 0
    private var failedCount = 0

    public init() {}

    func published() { lock.withLock { publishedCount += 1 } }
    func failed() { lock.withLock { failedCount += 1 } }

    public var snapshot: (published: Int, failed: Int) { lock.withLock { (publishedCount, failedCount) } }
}

extension DocumentPipeline {
    /// A symlink, FIFO, socket or device in a stream: an error output at once, the entry itself never opened.
    /// Called off the worker threads (nothing is read), once per distinct entry thanks to the ledger.
    public func recordRejection(_ item: WorkItem, error: DocumentReadError) -> Outcome {
        if let record = try? ledger.lookup(item.location), record.status == .failed, record.lastError == error.description,
            let hint = FileHint(path: item.path, followingLinks: false), record.content?.size == hint.size,
            record.content?.modificationTime == hint.modificationTime
        {
            return .unchanged
        }
        return handleRejected(error, item: item)
    }

    private func handleRejected(_ error: DocumentReadError, item: WorkItem) -> Outcome {
        let location = item.location
        log.event(.documentFailed, .warning, "\(Self.display(item.path)): \(error)", metadata: Self.failureMetadata(location, error))
        counters.failed()
        let report = ErrorReport(
            stream: location.stream, name: location.name, contents: nil, error: error, attempts: 1,
            daemon: Annotation.DaemonSection(version: version, relativePath: InputName(bytes: location.relativePath).name))
        do {
            let json = try report.encoded()
            let hint = FileHint(path: item.path, followingLinks: false)
            let content = ContentIdentity(
                sha256: SHA256.hex(of: SHA256.hash(json)), size: hint?.size ?? 0, modificationTime: hint?.modificationTime)
            try publish(json: json, location: location, kind: .error, content: content, modelVersions: [:], error: error.description)
        } catch {
            log.error("\(Self.display(item.path)): error output not written: \(error)")
        }
        return .errorOutput(code: error.code)
    }
}
