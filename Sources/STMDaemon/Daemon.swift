public import STMTasks
public import STMWatcher
import Dispatch
import Foundation
import Glibc

/// Everything `stmd run` decided before the daemon starts.
public struct DaemonSetup: Sendable {
    public var roots: [String]
    public var configuration: DaemonConfiguration
    public var configurationSource: String
    public var statePath: String
    public var modelLocator: ModelLocator
    public var version: String

    public init(
        roots: [String], configuration: DaemonConfiguration, configurationSource: String, statePath: String,
        modelLocator: ModelLocator, version: String
    ) {
        self.roots = roots
        self.configuration = configuration
        self.configurationSource = configurationSource
        self.statePath = statePath
        self.modelLocator = modelLocator
        self.version = version
    }
}

/// The daemon: watcher → fair scheduler → worker threads → outputs and ledger, until SIGTERM/SIGINT.
///
/// Start-up does everything that can fail before any document is touched — lock the state folder, open the
/// ledger, finish what a crash left (recovery), load every configured model, put the watches in place — and
/// fails with one clear message. Then the watcher's catch-up scan, inotify events, retries that fall due and the
/// periodic reconciliation all feed the same scheduler; the ledger's content hashes make re-submitting a file
/// harmless. SIGTERM/SIGINT stop the watcher, let each worker finish its current document, and exit 0.
public final class Daemon: @unchecked Sendable {
    /// Documents a worker takes at once when they are waiting: batched inference is several times faster per
    /// document, and a batch of 16 ~1 KB documents takes a few milliseconds, so an idle drop is not delayed.
    static let batchSize = 16

    public let setup: DaemonSetup
    let log: DaemonLog
    let state: StateDirectory
    let ledger: Ledger
    let watcher: InboxWatcher
    let scheduler: StreamScheduler<WorkItem>
    let pipeline: DocumentPipeline
    let counters = PipelineCounters()
    private let lock = NSLock()
    private var streamRoots: [String: String] = [:]
    private var warnedRootFiles = Set<[UInt8]>()
    private var stopping = false
    private let startedAt = Date()
    /// Where rescan results are checked against the ledger before they are queued.
    private let scanFilter = DispatchQueue(label: "stmd.scan-filter")

    public init(setup: DaemonSetup, log: DaemonLog) throws {
        self.setup = setup
        self.log = log
        let configuration = setup.configuration
        state = try StateDirectory(path: setup.statePath)
        try state.lock()
        ledger = try Ledger(stateDirectory: setup.statePath)
        let writer: OutputWriter
        switch configuration.output {
        case .alongside: writer = OutputWriter(destination: .alongside)
        case .root(let path): writer = OutputWriter(destination: .outputRoot(path))
        }
        let report = try Recovery(ledger: ledger, writer: writer).run(inboxRoots: setup.roots)
        if report.committed > 0 || report.orphansDeleted > 0 {
            log.notice(
                "recovery: \(report.committed) interrupted outputs (\(report.renamed) renamed, \(report.rewritten) rewritten, "
                    + "\(report.alreadyPublished) already in place, \(report.abandoned) abandoned), \(report.orphansDeleted) orphaned temporary files deleted")
        }
        for problem in report.failures + report.sweepProblems { log.warning("recovery: \(problem)") }
        // Every model any stream names, loaded once now so a missing or corrupt model stops the start, not a document.
        var loaded: [String: TaskModel] = [:]
        let models = Set(configuration.tasks.values).union(configuration.streams.values.flatMap { $0.tasks?.values.map { $0 } ?? [] })
        for model in models.sorted() {
            loaded[model] = try TaskModel.load(directory: try setup.modelLocator.locate(model))
        }
        for (name, override) in configuration.streams.sorted(by: { $0.key < $1.key })
        where override.settleDelay != nil || override.maximumWait != nil {
            // The watcher runs one settle state machine for every root; per-stream timing is not applied yet.
            log.warning("streams.\(name): settle_delay and maximum_wait per stream are not applied yet; the global values are")
        }
        var settings = WatchSettings()
        settings.settleDelay = configuration.settleDelay
        settings.maximumWait = configuration.maximumWait
        settings.ignorePatterns = DaemonConfiguration.builtInIgnorePatterns + configuration.ignore
        settings.forcePolling = configuration.poll
        settings.pollInterval = configuration.pollInterval
        #if DEBUG
        settings.faultHooks = try WatcherFaultHooks.fromEnvironment()
        #endif
        watcher = try InboxWatcher(roots: setup.roots, settings: settings)
        scheduler = StreamScheduler(capacity: configuration.queueCapacity)
        pipeline = DocumentPipeline(
            configuration: configuration, ledger: ledger, writer: writer, log: log, version: setup.version,
            models: loaded, counters: counters)
        log.info(
            "stmd \(setup.version): inboxes \(setup.roots.joined(separator: ", ")); configuration: \(setup.configurationSource); "
                + "state \(setup.statePath); models \(loaded.keys.sorted().joined(separator: ", ")); "
                + "\(configuration.workers) workers")
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    public func run() async -> Int32 {
        let (stopSignals, stopContinuation) = AsyncStream<Void>.makeStream()
        let signals = SignalHandling { [log] signal in
            switch signal {
            case .terminate, .interrupt:
                log.notice("stopping (\(signal == .terminate ? "SIGTERM" : "SIGINT"))")
                stopContinuation.yield()
            case .hangUp:
                log.notice("SIGHUP: reloading is not supported yet; the configuration stays as it is")
            }
        }
        defer { signals.cancel() }
        pipeline.startGroupCommit()
        let workers = WorkerThreads(count: max(1, setup.configuration.workers), name: "stmd-worker") { [scheduler, pipeline] _ in
            let state = DocumentPipeline.WorkerState()
            while true {
                let taken = scheduler.next(maximum: Daemon.batchSize)
                if taken.isEmpty { return }
                pipeline.process(
                    batch: taken.map { entry in (entry.item, { scheduler.finish(key: entry.key) }) }, state: state)
            }
        }
        do {
            try watcher.start()
        } catch {
            log.error("\(error)")
            scheduler.close()
            workers.join()
            pipeline.finishGroupCommit()
            return 1
        }
        if watcher.isPolling { log.notice("polling \(watcher.pollingRoots.joined(separator: ", ")) (network file system or --poll)") }
        let events = Task { await self.consumeEvents() }
        let housekeeping = Task { await self.housekeeping() }
        var iterator = stopSignals.makeAsyncIterator()
        _ = await iterator.next()
        lock.withLock { stopping = true }
        watcher.stop()
        events.cancel()
        housekeeping.cancel()
        scheduler.close()
        workers.join()
        pipeline.finishGroupCommit()
        writeStatus()
        let totals = counters.snapshot
        log.notice("stopped: \(totals.published) documents annotated, \(totals.failed) failed since start")
        return 0
    }

    private func consumeEvents() async {
        for await event in watcher.events {
            if Task.isCancelled { return }
            switch event {
            case .streamAdded(let root, let stream):
                lock.withLock { streamRoots[stream] = root }
                log.info("stream \(stream) (\(root))")
            case .streamRemoved(let root, let stream):
                lock.withLock { streamRoots[stream] = nil }
                scheduler.removeStream(stream)
                log.info("stream \(stream) (\(root)) is gone")
            case .document(let candidate):
                let item = WorkItem(candidate: candidate)
                if candidate.trigger == .scan || candidate.trigger == .poll {
                    // A rescan reports every file; the ledger check that drops the settled ones runs on its own
                    // queue, so a large scan never holds up a new file's event behind it.
                    scanFilter.async { [self] in
                        if !pipeline.isSettled(item) { submit(item) }
                    }
                } else {
                    submit(item)
                }
            case .rejected(let candidate, let reason):
                let item = WorkItem(candidate: candidate)
                let error = DocumentReadError.notRegularFile(kind: reason.description)
                Task.detached { [pipeline] in
                    _ = pipeline.recordRejection(item, error: error)
                }
            case .fileInRoot(let root, let name):
                let first = lock.withLock { warnedRootFiles.insert(Array(root.utf8) + [0] + name).inserted }
                if first { log.warning("\(root)/\(InputName(bytes: name).name): a file directly in an inbox root is not a document; put it in a stream folder") }
            case .overflow(let root):
                log.warning("\(root): the kernel's inotify queue overflowed; rescanning")
            case .failure(let error):
                log.error("\(error)")
            }
        }
    }

    private func submit(_ item: WorkItem) {
        switch scheduler.submit(item, key: item.key, stream: item.location.stream) {
        case .full:
            log.debug("stream \(item.location.stream): queue full, the file will be picked up by a rescan")
        case .queued, .duplicate, .closed:
            break
        }
    }

    /// Once a second: due retries, rescans of streams whose queue overflowed, the status file; every
    /// `reconcile_interval`: a full rescan that catches anything the watcher missed, and ledger pruning.
    private func housekeeping() async {
        var lastReconcile = Date()
        let interval = DocumentPipeline.seconds(setup.configuration.reconcileInterval)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { return }
            if let due = try? ledger.dueRetries() {
                for record in due {
                    submit(WorkItem(location: record.location, path: record.location.inputPath, trigger: "retry"))
                }
            }
            for stream in scheduler.streamsToRescan() {
                let root = lock.withLock { streamRoots[stream] }
                watcher.rescan(root: root, stream: stream)
            }
            if Date().timeIntervalSince(lastReconcile) >= interval {
                lastReconcile = Date()
                log.debug("reconciliation: rescanning every stream")
                watcher.rescan()
                let retention = RetentionPolicy(
                    maximumAge: Double(setup.configuration.retention.days) * 86_400,
                    maximumMissingPerStream: setup.configuration.retention.maxRowsPerStream)
                _ = try? ledger.prune(retention: retention)
            }
            writeStatus()
        }
    }

    /// `<state>/status.json`: what only the running daemon knows (queues, rate), for `stmd status`.
    func writeStatus() {
        let totals = counters.snapshot
        let status = DaemonStatus(
            pid: getpid(), version: setup.version, startedTime: startedAt.timeIntervalSince1970,
            updatedTime: Date().timeIntervalSince1970, queued: scheduler.queuedCounts(), inProgress: scheduler.inProgressCount,
            published: totals.published, failed: totals.failed, stopping: lock.withLock { stopping })
        try? status.write(toStateDirectory: setup.statePath)
    }
}
