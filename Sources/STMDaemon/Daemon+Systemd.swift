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

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
