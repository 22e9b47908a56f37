import Dispatch
import Foundation
import Glibc
import Logging
import STMMemory
import STMTasks

/// The daemon's side of the service manager: readiness, status, watchdog, reload.
extension Daemon {
    /// READY=1 with the first status line, the first watchdog ping, and the watchdog loop. Called once, after
    /// the catch-up scan's files are queued.
    func announceReady() {
        let first = lock(setReady: true)
        guard first else { return }
        let elapsed = ContinuousClock.now - startedClock
        let status = statusLine()
        _ = swapStatus(status)
        notifier.ready(status: status)
        notifier.watchdog()
        startWatchdog()
        let queued = scheduler.queuedCounts().values.reduce(0, +)
        log.event(
            .started, .notice,
            "ready in \(Self.milliseconds(elapsed)) ms: \(queued) documents queued from the catch-up scan",
            metadata: ["startup_ms": .string(String(Self.milliseconds(elapsed)))])
    }

    /// `WATCHDOG=1` every half `WatchdogSec=`, but only while the pipeline finishes documents or has nothing to
    /// do: a worker stuck on a document (or a deadlock) stops the pings, and systemd restarts the service.
    func startWatchdog() {
        guard let interval = SystemdNotifier.watchdogInterval() else { return }
        let task = Task.detached { [self] in
            var lastFinished = scheduler.progress.finished
            var stalled = false
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                let progress = scheduler.progress
                if progress.idle || progress.finished != lastFinished {
                    notifier.watchdog()
                    if stalled { log.notice("documents are being finished again; feeding the watchdog") }
                    stalled = false
                } else if !stalled {
                    stalled = true
                    log.event(
                        .watchdogStall, .error,
                        "no document finished in the last \(interval) with \(scheduler.inProgressCount) in progress; "
                            + "the watchdog is not fed, so systemd will restart stmd if this lasts")
                }
                lastFinished = progress.finished
            }
        }
        replaceWatchdogTask(task)
    }

    /// `N streams, Q queued, R docs/s, D done, F failed[, last problem: …]`.
    func statusLine() -> String {
        let queued = scheduler.queuedCounts()
        let totals = counters.snapshot
        var line =
            "\(streamCount) streams, \(queued.values.reduce(0, +)) queued, \(rate.perSecondText) docs/s, "
            + "\(totals.published) done, \(totals.failed) failed"
        if let logMonitor {
            let totals = logMonitor.totals
            line += ", \(totals.lines) log lines, \(totals.anomalies) unusual"
        }
        if let problem = log.lastProblem?.text { line += "; last problem: \(problem)" }
        return line
    }

    /// STATUS= when it changed (once a second at most, from housekeeping).
    func publishStatus() {
        guard isReadyNow, notifier.isEnabled else { return }
        let line = statusLine()
        if swapStatus(line) { notifier.status(line) }
    }

    /// SIGHUP: RELOADING=1, read the configuration and every model again, swap them in, READY=1. Anything that
    /// fails leaves the running configuration and models in place and says why. Stream memory, queues and the
    /// ledger are untouched. Settings the watcher or the worker pool were built with apply at the next restart.
    func reload() {
        notifier.reloading(status: "reloading the configuration and models")
        log.notice("SIGHUP: reloading the configuration and models")
        do {
            guard let reader = setup.reloadConfiguration else { throw ReloadError.noConfigurationSource }
            let (configuration, source) = try reader()
            try configuration.validate(inboxRoots: setup.roots)
            let models = try Self.loadModels(for: configuration, locator: setup.modelLocator)
            let deferred = Self.restartOnlyChanges(from: pipeline.configuration, to: configuration)
            pipeline.replace(configuration: configuration, models: models)
            var message = "reloaded \(source); models \(models.keys.sorted().joined(separator: ", "))"
            if !deferred.isEmpty { message += "; \(deferred.joined(separator: ", ")) take effect at the next restart" }
            log.event(.reloaded, .notice, message)
        } catch {
            log.event(.reloadFailed, .error, "reload refused, the running configuration stays: \(error)")
        }
        let status = statusLine()
        _ = swapStatus(status)
        notifier.ready(status: status)
    }

    /// Loads every model any stream names, once (a missing or corrupt model is an error here, not per document).
    static func loadModels(for configuration: DaemonConfiguration, locator: ModelLocator) throws -> [String: TaskModel] {
        var loaded: [String: TaskModel] = [:]
        let names = Set(configuration.tasks.values).union(configuration.streams.values.flatMap { $0.tasks?.values.map { $0 } ?? [] })
        for model in names.sorted() {
            loaded[model] = try TaskModel.load(directory: try locator.locate(model))
        }
        return loaded
    }

    /// `[memory] context_head`: the head, checked against the topic task's model (its base), with that model's
    /// labels; nil when none is configured.
    static func loadContextHead(
        _ configuration: DaemonConfiguration, models: [String: TaskModel], locator: ModelLocator
    ) throws -> (model: any StreamContextModel, labels: [String])? {
        guard let name = configuration.memory.contextHead else { return nil }
        let head = try ContextHead(directory: try locator.locate(name))
        let topicTask = configuration.memory.settings.topicTask
        guard let baseName = configuration.tasks[topicTask], case .classifier(let base)? = models[baseName] else {
            throw StartupError.contextHeadWithoutBase(head: name, task: topicTask)
        }
        try head.checkBase(base)
        return (head, base.labels)
    }

    /// The settings a running daemon cannot change: the watcher, the queue and the worker pool are built with them.
    static func restartOnlyChanges(from old: DaemonConfiguration, to new: DaemonConfiguration) -> [String] {
        var changed: [String] = []
        if old.workers != new.workers { changed.append("workers") }
        if old.settleDelay != new.settleDelay { changed.append("settle_delay") }
        if old.maximumWait != new.maximumWait { changed.append("maximum_wait") }
        if old.queueCapacity != new.queueCapacity { changed.append("queue_capacity") }
        if old.poll != new.poll || old.pollInterval != new.pollInterval { changed.append("poll") }
        if old.ignore != new.ignore { changed.append("ignore") }
        if old.output != new.output { changed.append("output") }
        if old.stateDirectory != new.stateDirectory { changed.append("state_directory") }
        if old.journal != new.journal { changed.append("journal") }
        if old.logs != new.logs { changed.append("logs") }
        if old.memory != new.memory { changed.append("memory") }
        return changed
    }

    /// Outputs are written beside the documents (or under `output_root`): a folder the daemon cannot write is
    /// an error at start-up, with the systemd setting that usually causes it.
    static func checkWritable(roots: [String], output: DaemonConfiguration.Output) throws {
        let folders: [String]
        switch output {
        case .alongside: folders = roots
        case .root(let path): folders = [path]
        }
        for folder in folders where access(folder, W_OK) != 0 {
            let code = errno
            if code == ENOENT { continue }  // the watcher reports a missing root with its own message
            throw StartupError.notWritable(path: folder, errno: code)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Why a reload could not run.
enum ReloadError: Error, CustomStringConvertible {
    case noConfigurationSource

    var description: String { "this daemon was started without a configuration source to read again" }
}

/// A start-up failure outside the configuration, models and ledger.
public enum StartupError: Error, CustomStringConvertible {
    case notWritable(path: String, errno: Int32)
    case contextHeadWithoutBase(head: String, task: String)

    public var description: String {
        switch self {
        case .contextHeadWithoutBase(let head, let task):
            return "[memory] context_head = \"\(head)\" needs the \(task) task (its topic_task) to run a classifier in [defaults] tasks"
        case .notWritable(let path, let code) where code == EROFS:
            return "\(path) is read-only for stmd, so no output can be written there. Under systemd's ProtectSystem=strict "
                + "every path not listed in ReadWritePaths= is read-only: add it (systemctl edit stmd → [Service] "
                + "ReadWritePaths=\(path)), or use output = \"root\" with an output_root that is writable"
        case .notWritable(let path, let code):
            return "\(path) is not writable by stmd (\(String(cString: strerror(code)))): outputs are written beside the "
                + "documents; make it writable by the daemon's user or group (the packaged inbox is group stmd, setgid, g+w)"
        }
    }
}
