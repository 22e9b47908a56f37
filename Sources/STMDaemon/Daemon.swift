public import STMTasks
import STMWatcher
import Dispatch
import Foundation
import Glibc
import Logging
import STMLogs
import STMTensor

/// Everything `stmd run` decided before the daemon starts.
public struct DaemonSetup: Sendable {
    public var roots: [String]
    public var configuration: DaemonConfiguration
    public var configurationSource: String
    public var statePath: String
    public var modelLocator: ModelLocator
    public var version: String
    /// Reads and validates the configuration again, with the same command-line overrides (SIGHUP).
    public var reloadConfiguration: (@Sendable () throws -> (DaemonConfiguration, String))?

    public init(
        roots: [String], configuration: DaemonConfiguration, configurationSource: String, statePath: String,
        modelLocator: ModelLocator, version: String,
        reloadConfiguration: (@Sendable () throws -> (DaemonConfiguration, String))? = nil
    ) {
        self.roots = roots
        self.configuration = configuration
        self.configurationSource = configurationSource
        self.statePath = statePath
        self.modelLocator = modelLocator
        self.version = version
        self.reloadConfiguration = reloadConfiguration
    }
}

/// The daemon: watcher → fair scheduler → worker threads → outputs and ledger, until SIGTERM/SIGINT.
///
/// Start-up does everything that can fail before any document is touched — lock the state folder, open the
/// ledger, finish what a crash left (recovery), load every configured model, put the watches in place — and
/// fails with one clear message. Then the watcher's catch-up scan, inotify events, retries that fall due and the
/// periodic reconciliation all feed the same scheduler; the ledger's content hashes make re-submitting a file
/// harmless. SIGTERM/SIGINT stop the watcher, let each worker finish its current document, and exit 0.
///
/// Under systemd (`Type=notify`) it says READY=1 once the catch-up backlog is queued, keeps STATUS= current,
/// feeds the watchdog only while documents get finished or nothing is waiting (so a stuck worker lets it fire),
/// reloads configuration and models on SIGHUP (RELOADING=1 … READY=1; a bad configuration is refused and the
/// running one stays), and says STOPPING=1 on SIGTERM.
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
    /// Journal monitoring (`[[journal]]`): nil when no source is configured.
    let logMonitor: LogStreamMonitor?
    private let journalFollower: JournalFollower?
    let notifier = SystemdNotifier()
    let rate = DocumentRate()
    private let lock = NSLock()
    private var isReady = false
    private var stopRequested = false
    private var lastStatus = ""
    /// The last `status.json` written, its `updatedTime` left at 0 (guarded by `lock`).
    private var lastWrittenStatus: DaemonStatus?
    private var watchdogTask: Task<Void, Never>?
    let startedClock = ContinuousClock.now
    /// Reloads run here, one at a time, off the signal queue.
    private let reloadQueue = DispatchQueue(label: "stmd.reload")
    private var streamRoots: [String: String] = [:]
    private var warnedRootFiles = Set<[UInt8]>()
    private var stopping = false
    private let startedAt = Date()
    /// Where rescan results are checked against the ledger before they are queued (one waiting check per path).
    private let scanFilter: ScanFilterQueue<WorkItem>

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
        let loaded = try Self.loadModels(for: configuration, locator: setup.modelLocator)
        try Self.checkWritable(roots: setup.roots, output: configuration.output)
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
        settings.faultHooks = try WatcherFaultHooks(specification: PipelineFaultHooks.fromEnvironment().remainder)
        #endif
        watcher = try InboxWatcher(roots: setup.roots, settings: settings)
        scheduler = StreamScheduler(capacity: configuration.queueCapacity)
        pipeline = DocumentPipeline(
            configuration: configuration, ledger: ledger, writer: writer, log: log, version: setup.version,
            models: loaded, counters: counters)
        #if DEBUG
            let slowCheck = UInt32(PipelineFaultHooks.fromEnvironment().slowScanCheckMilliseconds) * 1000
        #else
            let slowCheck: UInt32 = 0
        #endif
        scanFilter = ScanFilterQueue(label: "stmd.scan-filter") { [pipeline, scheduler] item in
            if slowCheck > 0 { usleep(slowCheck) }
            if !pipeline.isSettled(item) { Self.submit(item, to: scheduler, log: log) }
        }
        if configuration.memory.enabled {
            pipeline.memory = StreamMemoryEngine(
                ledger: ledger, configuration: configuration.memory,
                contextHead: try Self.loadContextHead(configuration, models: loaded, locator: setup.modelLocator))
        }
        // The log detector serves journal sources and `kind = "lines"` streams (a reload may add the latter).
        let startingModel = try configuration.logs.model.map { name in
            try LogModelBundle(directory: try setup.modelLocator.locate(name))
        }
        let monitor = LogStreamMonitor(
            ledger: ledger, settings: configuration.logs, log: log, stateDirectory: setup.statePath,
            startingModel: startingModel)
        pipeline.lineMonitor = monitor
        let usesLogs = !configuration.journal.isEmpty || configuration.streams.values.contains { $0.kind == .lines }
        logMonitor = usesLogs ? monitor : nil
        journalFollower =
            configuration.journal.isEmpty
            ? nil
            : try JournalFollower(sources: configuration.journal, checkpoints: try ledger.journalCursors()) {
                source, entries in _ = monitor.process(source: source, entries: entries)
            }
        log.info(
            "stmd \(setup.version): inboxes \(setup.roots.joined(separator: ", ")); configuration: \(setup.configurationSource); "
                + "state \(setup.statePath); models \(loaded.keys.sorted().joined(separator: ", ")); "
                + "\(configuration.workers) workers")
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    public func run() async -> Int32 {
        let (stopSignals, stopContinuation) = AsyncStream<Void>.makeStream()
        let signals = SignalHandling { [self] signal in
            switch signal {
            case .terminate, .interrupt:
                let first = lock.withLock {
                    defer { stopRequested = true }
                    return !stopRequested
                }
                guard first else { return }
                notifier.stopping(status: "stopping: finishing the documents in progress")
                log.notice("stopping (\(signal == .terminate ? "SIGTERM" : "SIGINT"))")
                stopContinuation.yield()
            case .hangUp:
                reloadQueue.async { self.reload() }
            }
        }
        defer { signals.cancel() }
        scheduler.onDrained = { [self] stream in
            let root = lock.withLock { streamRoots[stream] }
            watcher.rescan(root: root, stream: stream)
        }
        pipeline.startGroupCommit()
        let workers = WorkerThreads(count: max(1, setup.configuration.workers), name: "stmd-worker") { [scheduler, pipeline] _ in
            let state = DocumentPipeline.WorkerState()
            while true {
                // Numbered, so each stream's memory steps run in the order its documents were taken.
                let taken = scheduler.nextNumbered(maximum: Daemon.batchSize)
                if taken.isEmpty { return }
                pipeline.process(
                    batch: taken.map { entry in (entry.item.numbered(entry.ticket), { scheduler.finish(key: entry.key) }) },
                    state: state)
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
        journalFollower?.start()
        if watcher.isPolling { log.notice("polling \(watcher.pollingRoots.joined(separator: ", ")) (network file system or --poll)") }
        let events = Task { await self.consumeEvents() }
        let housekeeping = Task { await self.housekeeping() }
        var iterator = stopSignals.makeAsyncIterator()
        _ = await iterator.next()
        lock.withLock {
            stopping = true
            watchdogTask?.cancel()
        }
        watcher.stop()
        journalFollower?.stop()
        events.cancel()
        housekeeping.cancel()
        scheduler.close()
        workers.join()
        pipeline.finishGroupCommit()
        writeStatus()
        let totals = counters.snapshot
        log.event(.stopped, .notice, "stopped: \(totals.published) documents annotated, \(totals.failed) failed since start")
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
                    scanFilter.enqueue(item, key: item.key)
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
                log.event(.overflow, .warning, "\(root): the kernel's inotify queue overflowed; rescanning", metadata: ["root": .string(root)])
            case .catchUpComplete:
                // After every catch-up file has passed the ledger check and is queued.
                scanFilter.whenChecked { [self] in announceReady() }
            case .failure(let error):
                switch error {
                case .watchLimit, .instanceLimit: log.event(.limitReached, .error, "\(error)")
                default: log.error("\(error)")
                }
            }
        }
    }

    private func submit(_ item: WorkItem) {
        Self.submit(item, to: scheduler, log: log)
    }

    private static func submit(_ item: WorkItem, to scheduler: StreamScheduler<WorkItem>, log: DaemonLog) {
        switch scheduler.submit(item, key: item.key, stream: item.location.stream) {
        case .full:
            log.debug("stream \(item.location.stream): queue full, the file will be picked up by a rescan")
        case .queued, .duplicate, .deferred, .closed:
            break
        }
    }

    /// Once a second: due retries, rescans of streams whose queue overflowed, the status file, free memory handed
    /// back after a burst (`FreeMemoryRelease`); every `reconcile_interval`: a full rescan that catches anything the
    /// watcher missed, and ledger pruning.
    private func housekeeping() async {
        var lastReconcile = Date()
        let interval = DocumentPipeline.seconds(pipeline.configuration.reconcileInterval)
        var release = FreeMemoryRelease(now: Date().timeIntervalSince1970)
        var startup = StartupTimeoutExtension()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { return }
            if !isReadyNow && notifier.isEnabled {
                let checked = scanFilter.progress.checked
                if startup.shouldExtend(checked: checked, now: Date().timeIntervalSince1970) {
                    notifier.extendTimeout(
                        seconds: StartupTimeoutExtension.extensionSeconds,
                        status: "catching up: \(checked) files checked against the ledger")
                }
            }
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
                let configuration = pipeline.configuration
                let retention = RetentionPolicy(
                    maximumAge: Double(configuration.retention.days) * 86_400,
                    maximumMissingPerStream: configuration.retention.maxRowsPerStream)
                _ = try? ledger.prune(retention: retention)
            }
            logMonitor?.flushSummaries()
            logMonitor?.applyFeedback()
            let progress = scheduler.progress
            rate.record(finished: progress.finished)
            let checks = scanFilter.progress
            if release.shouldRelease(
                work: progress.finished + checks.checked / FreeMemoryRelease.checksPerDocument,
                idle: progress.idle && checks.idle, now: Date().timeIntervalSince1970)
            {
                Allocator.releaseFreeMemory()
            }
            writeStatus()
            publishStatus()
        }
    }

    /// Marks the daemon ready; true the first time.
    func lock(setReady: Bool) -> Bool {
        lock.withLock {
            defer { isReady = true }
            return !isReady
        }
    }

    var isReadyNow: Bool { lock.withLock { isReady } }

    var streamCount: Int { lock.withLock { streamRoots.count } }

    /// Stores `line` as the last status sent; true when it differs from the previous one.
    func swapStatus(_ line: String) -> Bool {
        lock.withLock {
            defer { lastStatus = line }
            return lastStatus != line
        }
    }

    func replaceWatchdogTask(_ task: Task<Void, Never>) {
        lock.withLock {
            watchdogTask?.cancel()
            watchdogTask = task
        }
    }

    /// `<state>/status.json`: what only the running daemon knows (queues, rate), for `stmd status`. Written when
    /// it changes, not on every tick: an idle daemon does not write to its disk once a second. `stmd status` tells
    /// a running daemon from a crashed one by its lock, not by the file's age.
    func writeStatus() {
        let totals = counters.snapshot
        var status = DaemonStatus(
            pid: getpid(), version: setup.version, startedTime: startedAt.timeIntervalSince1970,
            updatedTime: 0, queued: scheduler.queuedCounts(), inProgress: scheduler.inProgressCount,
            published: totals.published, failed: totals.failed, stopping: lock.withLock { stopping })
        let changed = lock.withLock {
            defer { lastWrittenStatus = status }
            return lastWrittenStatus != status
        }
        guard changed else { return }
        status.updatedTime = Date().timeIntervalSince1970
        try? status.write(toStateDirectory: setup.statePath)
    }
}
