import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The service-manager protocol against a real datagram socket standing in for systemd (`$NOTIFY_SOCKET`), and
/// the journal entries against a real systemd-journald (skipped where none runs; `.ci/run` starts one).
extension DaemonTests {
    /// READY=1 only after the streams are watched and the catch-up backlog is queued, STATUS= kept current,
    /// WATCHDOG=1 at half of WATCHDOG_USEC while the daemon is idle or busy, STOPPING=1 on SIGTERM, exit 0.
    @Test func notifiesReadyStatusWatchdogAndStopping() async throws {
        let world = try DaemonWorld("notify", streams: ["news"])
        var inputs = InputLedger()
        let backlog = try (0..<3).map { try world.write(Self.document($0), "news", "old\($0).txt", into: &inputs) }
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])
        let ready = try #require(await listener.first { $0["READY"] == "1" }, "no READY=1: \(listener.messages) \(daemon.log)")
        // The catch-up scan had announced the stream before READY.
        #expect(daemon.log.contains("info: stream news ("), "\(daemon.log)")
        #expect(ready.message.fields["STATUS"]?.contains("1 streams") == true, "\(ready.message)")
        // The first watchdog ping right after READY, then one every 0.5 s.
        let firstPing = try #require(await listener.first(after: ready.index) { $0["WATCHDOG"] == "1" })
        #expect(firstPing.message.time - ready.message.time < 0.2)
        #expect(await Self.waitForAnnotations(backlog).isEmpty, "\(daemon.log)")
        let fresh = try world.write(Self.document(7), "news", "new.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([fresh]).isEmpty, "\(daemon.log)")
        // STATUS= follows the work: four documents done.
        let status = await listener.first(after: ready.index, timeout: 10) { $0["STATUS"]?.contains("4 done") == true }
        #expect(status != nil, "\(listener.messages)")
        let pingsBefore = listener.messages.filter { $0.fields["WATCHDOG"] == "1" }.count
        try await Task.sleep(for: .milliseconds(1600))
        let pingsAfter = listener.messages.filter { $0.fields["WATCHDOG"] == "1" }.count
        #expect(pingsAfter - pingsBefore >= 2, "an idle daemon stopped feeding the watchdog: \(listener.messages)")

        let stopAt = listener.messages.count
        let (result, seconds) = try await daemon.stop()
        #expect(result.exitedCleanly, "\(result)")
        #expect(seconds < 5)
        #expect(await listener.first(after: stopAt, timeout: 2) { $0["STOPPING"] == "1" } != nil, "\(listener.messages)")
        inputs.expectUnchanged()
    }

    /// A catch-up that takes a while (here 400 files whose ledger checks each take 10 ms: the debug-only
    /// `slow-scan-check` fault hook) asks systemd for more start-up time with `EXTEND_TIMEOUT_USEC=` and a progress
    /// STATUS while the checks advance, before READY=1, and no more after it.
    @Test func aLongCatchUpExtendsTheStartTimeout() async throws {
        let world = try DaemonWorld("extend-start", streams: ["news"])
        var inputs = InputLedger()
        for index in 0..<400 { _ = try world.write(Self.document(index), "news", "old\(index).txt", into: &inputs) }
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(faults: "slow-scan-check:10", environment: ["NOTIFY_SOCKET": listener.path])
        let ready = try #require(
            await listener.first(timeout: 60) { $0["READY"] == "1" }, "no READY=1: \(listener.messages) \(daemon.log)")
        let extensions = listener.messages.prefix(ready.index).filter { $0.fields["EXTEND_TIMEOUT_USEC"] != nil }
        #expect(!extensions.isEmpty, "no extension during a 4 s catch-up: \(listener.messages)")
        #expect(extensions.allSatisfy { $0.fields["EXTEND_TIMEOUT_USEC"] == "30000000" }, "\(extensions)")
        #expect(extensions.first?.fields["STATUS"]?.hasPrefix("catching up: ") == true, "\(extensions)")
        try await Task.sleep(for: .milliseconds(1500))
        let after = listener.messages.dropFirst(ready.index + 1).filter { $0.fields["EXTEND_TIMEOUT_USEC"] != nil }
        #expect(after.isEmpty, "extended after READY=1: \(after)")
        try await Self.stopCleanly(daemon, world)
        inputs.expectUnchanged()
    }

    /// A stop sent the moment READY=1 arrives is never lost, whichever thread the kernel hands the signal to (with
    /// a dispatch signal source it was dropped about once in 40 starts). Ten starts, each stopped at once.
    @Test func sigtermRightAfterReadyAlwaysStops() async throws {
        let world = try DaemonWorld("stop-at-ready", streams: ["news"])
        for round in 0..<10 {
            let listener = try NotifyListener(directory: world.base)
            let daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
            try #require(await listener.first { $0["READY"] == "1" } != nil, "round \(round): \(daemon.log)")
            let (result, seconds) = try await daemon.stop(timeout: 10)
            #expect(result.exitedCleanly, "round \(round): \(result)")
            #expect(seconds < 5, "round \(round): SIGTERM took \(seconds) s")
        }
    }

    /// A worker stuck on a document (the debug-only `hang-worker` fault hook) stops the watchdog pings, so systemd
    /// would restart the service; the log says why.
    @Test func aHungWorkerStopsTheWatchdogPings() async throws {
        let world = try DaemonWorld("watchdog", streams: ["news"])
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(
            faults: "hang-worker:stuck-*.txt", extra: ["--workers", "1"],
            environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "600000"])
        let ready = try #require(await listener.first { $0["READY"] == "1" }, "\(daemon.log)")
        // Idle: pinged every 0.3 s.
        try #require(await listener.first(after: ready.index + 2) { $0["WATCHDOG"] == "1" } != nil, "\(listener.messages)")
        var inputs = InputLedger()
        _ = try world.write(Self.document(1), "news", "stuck-1.txt", into: &inputs)
        _ = try world.write(Self.document(2), "news", "waiting.txt", into: &inputs)
        try #require(await daemon.waitForLog("fault hook: worker hangs"), "\(daemon.log)")
        let hungAt = listener.messages.count
        #expect(await daemon.waitForLog("the watchdog is not fed", timeout: 5), "\(daemon.log)")
        try await Task.sleep(for: .milliseconds(1500))
        let pings = listener.messages[hungAt...].filter { $0.fields["WATCHDOG"] == "1" }
        // At most one check may have run between the worker taking the document and the log line.
        #expect(pings.count <= 1, "pings while a worker hangs: \(pings)")
        _ = try await daemon.kill()
    }

    /// SIGHUP: RELOADING=1 (with MONOTONIC_USEC), the configuration and models read again, READY=1; documents after
    /// it get the new tasks. A bad configuration or a missing model is refused with a clear error, and the running
    /// configuration stays.
    @Test func sighupReloadsAndRefusesABadConfiguration() async throws {
        let world = try DaemonWorld("reload", streams: ["news"])
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
        let ready = try #require(await listener.first { $0["READY"] == "1" }, "\(daemon.log)")
        let model = world.fixture.modelName
        try RawFS.write("[defaults]\ntasks = { topic = \"\(model)\", again = \"\(model)\" }\n", to: world.configPath)
        daemon.process.send(signal: SIGHUP)
        let reloading = try #require(await listener.first(after: ready.index) { $0["RELOADING"] == "1" }, "\(listener.messages)")
        #expect(UInt64(reloading.message.fields["MONOTONIC_USEC"] ?? "") != nil, "\(reloading.message)")
        let readyAgain = try #require(await listener.first(after: reloading.index) { $0["READY"] == "1" }, "\(daemon.log)")
        // The log line and READY=1 come from different paths: wait for the line rather than race it.
        #expect(await daemon.waitForLog("notice: reloaded \(world.configPath)"), "\(daemon.log)")
        var inputs = InputLedger()
        let first = try world.write(Self.document(1), "news", "after-reload.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([first]).isEmpty, "\(daemon.log)")
        let tasks = try #require(DaemonOutputs.annotation(of: first)?["tasks"] as? [String: Any])
        #expect(Set(tasks.keys) == ["topic", "again"])

        for (bad, expected) in [
            ("[defaults]\ntaskz = 3\n", "unknown key 'defaults.taskz'"),
            ("[defaults]\ntasks = { topic = \"no-such-model\" }\n", "no-such-model"),
        ] {
            try RawFS.write(bad, to: world.configPath)
            let before = listener.messages.count
            daemon.process.send(signal: SIGHUP)
            #expect(await daemon.waitForLog { $0.contains("reload refused") && $0.contains(expected) }, "\(daemon.log)")
            #expect(await listener.first(after: before) { $0["READY"] == "1" } != nil, "\(listener.messages)")
        }
        let second = try world.write(Self.document(2), "news", "after-refusal.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([second]).isEmpty, "\(daemon.log)")
        let kept = try #require(DaemonOutputs.annotation(of: second)?["tasks"] as? [String: Any])
        #expect(Set(kept.keys) == ["topic", "again"], "the refused configurations must not replace the running one")
        _ = readyAgain
        let (result, _) = try await daemon.stop()
        #expect(result.exitedCleanly, "\(result)")
    }

    /// With `--log-target journal`, each document is one journal entry whose fields make `journalctl` a query
    /// interface, and a failed document is an entry with its catalog MESSAGE_ID. Needs a running journald.
    @Test func documentsBecomeStructuredJournalEntries() async throws {
        let stream = "journal\(UUID().uuidString.prefix(8).lowercased())"
        let world = try DaemonWorld("journal", streams: [stream])
        guard try await LiveJournal.available(in: world.base), let journalctl = findTool("journalctl") else { return }
        let daemon = try world.start(extra: ["--log-target", "journal"])
        var inputs = InputLedger()
        let good = try world.write(Self.document(3), stream, "good.txt", into: &inputs)
        let empty = try world.write("", stream, "empty.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([good]).isEmpty, "\(daemon.log)")
        #expect(await eventually(timeout: Self.outputTimeout) { RawFS.exists(DaemonOutputs.errorPath(empty)) })
        let annotation = try #require(DaemonOutputs.annotation(of: good))
        let topic = try #require((annotation["tasks"] as? [String: Any])?["topic"] as? [String: Any])

        var entries: [[String: Any]] = []
        var journalctlError = ""
        let found = try await eventuallyAsync(timeout: 10, interval: .milliseconds(100)) {
            (entries, journalctlError) = try await LiveJournal.entries(
                ["STM_STREAM=\(stream)"], journalctl: journalctl, in: world.base)
            return entries.count >= 2
        }
        try #require(found, "journal entries for \(stream): \(entries); journalctl: \(journalctlError); daemon: \(daemon.log)")
        let document = try #require(entries.first { $0["STM_FILE"] as? String == "good.txt" }, "\(entries)")
        #expect(document["SYSLOG_IDENTIFIER"] as? String == "stmd")
        #expect(document["PRIORITY"] as? String == "6")
        #expect(document["STM_SHA256"] as? String == DaemonOutputs.sha256(RawFS.read(good) ?? []))
        #expect(document["STM_TOPIC"] as? String == topic["label"] as? String)
        #expect(document["STM_TOPIC_SCORE"] as? String != nil)
        #expect((document["CODE_FILE"] as? String)?.hasSuffix(".swift") == true)
        #expect((document["MESSAGE"] as? String)?.contains("good.txt") == true)
        let failure = try #require(entries.first { $0["STM_FILE"] as? String == "empty.txt" }, "\(entries)")
        #expect(failure["MESSAGE_ID"] as? String == "bdef355cfa524dfea86c9b1b5ee37cc3")
        #expect(failure["PRIORITY"] as? String == "4")
        #expect(failure["STM_ERROR"] as? String == "empty")
        let (result, _) = try await daemon.stop()
        #expect(result.exitedCleanly, "\(result)")
    }

    /// An inbox on a read-only file system — what systemd's ProtectSystem=strict makes of every path missing from
    /// ReadWritePaths= — stops the start with an error naming that setting. The test makes one with a read-only
    /// bind mount (root only; skipped otherwise).
    @Test func aReadOnlyInboxIsAStartupErrorNamingReadWritePaths() async throws {
        let world = try DaemonWorld("readonly", streams: ["news"])
        guard geteuid() == 0, let mount = findTool("mount"), let umount = findTool("umount") else {
            print("skipped: a read-only bind mount needs root and mount(8)")
            return
        }
        func run(_ tool: String, _ arguments: [String]) async throws -> Bool {
            let result = try await Stmd.waitOffThePool(
                try RunningProcess(executable: tool, arguments: arguments, environment: Stmd.environment(), directory: world.base),
                timeout: 20)
            return result.exitedCleanly
        }
        guard try await run(mount, ["--bind", world.inbox, world.inbox]) else {
            print("skipped: bind mounts are not permitted here")
            return
        }
        defer { _ = try? RunningProcess(executable: umount, arguments: [world.inbox], environment: Stmd.environment(), directory: world.base).waitForExit(timeout: 20) }
        guard try await run(mount, ["-o", "remount,bind,ro", world.inbox]) else {
            print("skipped: read-only remounts are not permitted here")
            return
        }
        let daemon = try world.start()
        let result = try await daemon.exit()
        #expect(!result.exitedCleanly)
        #expect(result.stderr.contains("\(world.inbox) is read-only for stmd"), "\(result.stderr)")
        #expect(result.stderr.contains("ReadWritePaths="), "\(result.stderr)")
    }
}
