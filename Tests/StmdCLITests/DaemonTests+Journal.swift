import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Journal monitoring end to end: the daemon follows a directory of real journal files (written by
/// systemd-journal-remote), learns a stream's first lines, flags an injected unusual line, leaves normal lines
/// alone, and resumes after a restart at its checkpoint with no replay and no gap.
extension DaemonTests {
    static func sshLine(_ index: Int) -> String {
        let user = "user\(index % 7)", address = "10.0.\(index % 3).\(index % 250)", port = 40_000 + index
        switch index % 4 {
        case 0: return "Accepted publickey for \(user) from \(address) port \(port) ssh2"
        case 1: return "pam_unix(sshd:session): session opened for user \(user) by (uid=0)"
        case 2: return "pam_unix(sshd:session): session closed for user \(user)"
        default: return "Disconnected from user \(user) \(address) port \(port)"
        }
    }

    @Test(.enabled(if: JournalFiles.tool != nil, "systemd-journal-remote is not installed"))
    func followsTheJournalFlagsAnInjectedAnomalyAndResumesAtItsCheckpoint() async throws {
        let journal = try TemporaryDirectory(prefix: "stmd-journal")
        let file = journal.path + "/system.journal"
        let learning = 400
        try JournalFiles.append(to: file, (0..<(learning + 100)).map { .init(message: Self.sshLine($0), identifier: "sshd", index: $0) })
        let world = try DaemonWorld(
            "journal-follow", streams: ["news"],
            tables: """
                [logs]
                learning_lines = \(learning)

                [[journal]]
                name = "ssh"
                directory = "\(journal.path)"
                matches = ["SYSLOG_IDENTIFIER=sshd"]
                stream_field = "SYSLOG_IDENTIFIER"
                start = "head"
                """)
        var listener = try NotifyListener(directory: world.base)
        var daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
        // Learned 400 lines, judged 100 normal ones: nothing flagged.
        let judged = await listener.first(timeout: 60) { $0["STATUS"]?.contains("500 log lines") == true }
        try #require(judged != nil, "\(listener.messages.suffix(3))\n\(daemon.log)")
        #expect(judged?.message.fields["STATUS"]?.contains("500 log lines, 0 unusual") == true, "\(judged!.message)")

        let anomaly = "kernel: Out of memory: Killed process 4242 (postgres) total-vm:8123456kB"
        try JournalFiles.append(
            to: file,
            [JournalFiles.Entry(message: anomaly, identifier: "sshd", index: 500)]
                + (501..<520).map { .init(message: Self.sshLine($0 - 1), identifier: "sshd", index: $0) })
        let flagged = await listener.first(timeout: 30) { $0["STATUS"]?.contains("520 log lines") == true }
        try #require(flagged != nil, "\(listener.messages.suffix(3))\n\(daemon.log)")
        #expect(flagged?.message.fields["STATUS"]?.contains("520 log lines, 1 unusual") == true, "\(flagged!.message)")
        #expect(daemon.log.contains("stream sshd: a new kind of line"), "\(daemon.log)")
        #expect(daemon.log.contains(anomaly))
        let alerts = try String(contentsOfFile: world.state + "/anomalies/sshd.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSON.object($0) }
        #expect(alerts.count == 1)
        #expect(alerts.first?["message"] as? String == anomaly)
        #expect((alerts.first?["cursor"] as? String)?.isEmpty == false)
        #expect(alerts.first?["reason"] as? String == "unknown_template")

        // The operator says it was normal: `stmd logs mark-normal` while the daemon runs; it retrains within a second.
        let cursor = try #require(alerts.first?["cursor"] as? String)
        let marked = try await DaemonProcess.runStmd(["logs", "mark-normal", "--state", world.state, cursor], in: world.base)
        #expect(marked.exitedCleanly && marked.stdout.contains("stream sshd"), "\(marked)")
        #expect(await daemon.waitForLog("marked normal by an operator"), "\(daemon.log)")
        let unknown = try await DaemonProcess.runStmd(["logs", "mark-normal", "--state", world.state, "s=nonsense"], in: world.base)
        #expect(!unknown.exitedCleanly && unknown.stderr.contains("no alert has the cursor s=nonsense"), "\(unknown)")
        let streams = try await DaemonProcess.runStmd(["logs", "streams", "--state", world.state], in: world.base)
        #expect(streams.stdout.contains("sshd\t520 lines\t1 unusual"), "\(streams)")
        let (stopped, _) = try await daemon.stop()
        #expect(stopped.exitedCleanly, "\(stopped)")

        // Ten more lines while it is down; the restart reads exactly those.
        try JournalFiles.append(to: file, (520..<530).map { .init(message: Self.sshLine($0 - 1), identifier: "sshd", index: $0) })
        listener = try NotifyListener(directory: world.base)
        daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
        let resumed = await listener.first(timeout: 30) { $0["STATUS"]?.contains("10 log lines") == true }
        try #require(resumed != nil, "\(listener.messages.suffix(3))\n\(daemon.log)")
        try await Task.sleep(for: .milliseconds(1500))
        let last = listener.messages.last { $0.fields["STATUS"] != nil }
        #expect(last?.fields["STATUS"]?.contains("10 log lines, 0 unusual") == true, "\(String(describing: last))")
        #expect(!daemon.log.contains("learning its first"), "the stream's detector was not restored: \(daemon.log)")
        let (again, _) = try await daemon.stop()
        #expect(again.exitedCleanly, "\(again)")
    }

    /// `learning_time`: the learning period ends once a stream's entries span that long, even when far fewer
    /// than `learning_lines` have been seen; a new kind of line after it is flagged.
    @Test(.enabled(if: JournalFiles.tool != nil, "systemd-journal-remote is not installed"))
    func theLearningPeriodCanEndByJournalTime() async throws {
        let journal = try TemporaryDirectory(prefix: "stmd-journal")
        let file = journal.path + "/system.journal"
        // One entry a second (JournalFiles puts entry i at second i).
        try JournalFiles.append(to: file, (0..<150).map { .init(message: Self.sshLine($0), identifier: "sshd", index: $0) })
        let world = try DaemonWorld(
            "journal-learning-time", streams: ["news"],
            tables: """
                [logs]
                learning_lines = 100000
                learning_time = "60s"

                [[journal]]
                name = "ssh"
                directory = "\(journal.path)"
                stream_field = "SYSLOG_IDENTIFIER"
                start = "head"
                """)
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
        try #require(
            await listener.first(timeout: 60) { $0["STATUS"]?.contains("150 log lines") == true } != nil,
            "\(listener.messages.suffix(3))\n\(daemon.log)")
        #expect(daemon.log.contains("log stream sshd: learning period over after 60 lines (learning_time)"), "\(daemon.log)")
        try JournalFiles.append(
            to: file, [JournalFiles.Entry(message: "kernel: segfault at 0 ip 00007f sp 00007ffe error 4", identifier: "sshd", index: 150)])
        let flagged = await listener.first(timeout: 30) { $0["STATUS"]?.contains("151 log lines") == true }
        #expect(flagged?.message.fields["STATUS"]?.contains("151 log lines, 1 unusual") == true, "\(listener.messages.suffix(3))")
        #expect(daemon.log.contains("stream sshd: a new kind of line"), "\(daemon.log)")
        let (stopped, _) = try await daemon.stop()
        #expect(stopped.exitedCleanly, "\(stopped)")
    }

    /// `kind = "lines"`: log files dropped into a stream are judged line by line with the same detector; the
    /// stream learns from the first files, and a later file's unusual line is listed in its `.stm.json`.
    @Test func aLinesStreamJudgesEveryLineOfADroppedLogFile() async throws {
        let world = try DaemonWorld(
            "lines", streams: ["sshlogs"],
            tables: """
                [logs]
                learning_lines = 400

                [streams.sshlogs]
                kind = "lines"
                """)
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["sshlogs"]), "\(daemon.log)")
        var inputs = InputLedger()
        let learning = try world.write((0..<400).map { Self.sshLine($0) }.joined(separator: "\n") + "\n", "sshlogs", "day1.log", into: &inputs)
        #expect(await Self.waitForAnnotations([learning]).isEmpty, "\(daemon.log)")
        let first = try #require(DaemonOutputs.annotation(of: learning))
        #expect(first["schema"] as? String == "stmd.lines")
        #expect(first["lines"] as? Int == 400 && first["learning_lines"] as? Int == 400)
        #expect((first["anomalies"] as? [Any])?.isEmpty == true)

        let anomaly = "kernel: Out of memory: Killed process 4242 (postgres)"
        var lines = (400..<440).map { Self.sshLine($0) }
        lines.insert(anomaly, at: 20)
        let later = try world.write(lines.joined(separator: "\r\n") + "\r\n\r\n", "sshlogs", "day2.log", into: &inputs)
        #expect(await Self.waitForAnnotations([later]).isEmpty, "\(daemon.log)")
        let second = try #require(DaemonOutputs.annotation(of: later))
        #expect(second["lines"] as? Int == 41 && second["learning_lines"] as? Int == 0)
        let anomalies = try #require(second["anomalies"] as? [[String: Any]])
        #expect(anomalies.count == 1, "\(anomalies)")
        #expect(anomalies.first?["line"] as? Int == 21)
        #expect(anomalies.first?["text"] as? String == anomaly)
        #expect(anomalies.first?["reason"] as? String == "unknown_template")
        #expect(daemon.log.contains("stream lines:sshlogs: a new kind of line"), "\(daemon.log)")
        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }

    /// `[logs] model`: a model trained offline (`stmd train logs --data`) is every new stream's starting point, so
    /// a stream with no learning period judges its first lines at once: normal lines pass, a new kind is flagged.
    @Test(.enabled(if: JournalFiles.tool != nil, "systemd-journal-remote is not installed"))
    func aTrainedLogModelIsANewStreamsStartingPoint() async throws {
        let world = try DaemonWorld("journal-model", streams: ["news"])
        let training = world.outside + "/sshd.log"
        try RawFS.write((0..<800).map { Self.sshLine($0) }.joined(separator: "\n") + "\n", to: training)
        let model = world.outside + "/sshd-model"
        let trained = try await DaemonProcess.runStmd(
            ["train", "logs", "--data", training, "--out", model, "--epochs", "5"], in: world.base)
        try #require(trained.exitedCleanly, "\(trained)")

        let journal = try TemporaryDirectory(prefix: "stmd-journal")
        let file = journal.path + "/system.journal"
        try JournalFiles.append(to: file, (0..<100).map { .init(message: Self.sshLine($0), identifier: "sshd", index: $0) })
        try RawFS.write(
            """
            [logs]
            learning_lines = 0
            model = "\(model)"

            [[journal]]
            name = "ssh"
            directory = "\(journal.path)"
            stream_field = "SYSLOG_IDENTIFIER"
            start = "head"

            [defaults]
            tasks = { topic = "\(world.fixture.modelName)" }
            """, to: world.configPath)
        let listener = try NotifyListener(directory: world.base)
        let daemon = try world.start(environment: ["NOTIFY_SOCKET": listener.path])
        let judged = await listener.first(timeout: 60) { $0["STATUS"]?.contains("100 log lines") == true }
        try #require(judged != nil, "\(listener.messages.suffix(3))\n\(daemon.log)")
        #expect(judged?.message.fields["STATUS"]?.contains("100 log lines, 0 unusual") == true, "\(judged!.message)")
        #expect(daemon.log.contains("log stream sshd: starting from the trained model"), "\(daemon.log)")
        try JournalFiles.append(
            to: file, [JournalFiles.Entry(message: "kernel: Out of memory: Killed process 77 (java)", identifier: "sshd", index: 100)])
        let flagged = await listener.first(timeout: 30) { $0["STATUS"]?.contains("101 log lines") == true }
        #expect(flagged?.message.fields["STATUS"]?.contains("101 log lines, 1 unusual") == true, "\(listener.messages.suffix(3))")
        let (stopped, _) = try await daemon.stop()
        #expect(stopped.exitedCleanly, "\(stopped)")
    }
}

extension DaemonTests {
    /// A crash after a log file's lines fed the detector (state committed) but before its output was published:
    /// the restarted daemon publishes the output judged then, and the detector has counted the lines once.
    @Test func aCrashBetweenJudgingAndPublishingJudgesTheLinesOnce() async throws {
        let world = try DaemonWorld(
            "lines-crash", streams: ["sshlogs"],
            tables: "[logs]\nlearning_lines = 100\n\n[streams.sshlogs]\nkind = \"lines\"\n")
        var inputs = InputLedger()
        let first = try world.write((0..<150).map { Self.sshLine($0) }.joined(separator: "\n") + "\n", "sshlogs", "a.log", into: &inputs)
        let dying = try world.start(faults: "die-after-judging:a.log")
        let crashed = try await dying.exit(timeout: 60)
        #expect(!crashed.exitedCleanly, "the fault must kill it: \(crashed)")
        #expect(DaemonOutputs.annotation(of: first) == nil, "killed before publishing")

        let daemon = try world.start(verbose: true)
        #expect(await Self.waitForAnnotations([first]).isEmpty, "\(daemon.log)")
        let report = try #require(DaemonOutputs.annotation(of: first))
        #expect(report["lines"] as? Int == 150 && report["learning_lines"] as? Int == 100, "\(report)")
        let second = try world.write((150..<160).map { Self.sshLine($0) }.joined(separator: "\n") + "\n", "sshlogs", "b.log", into: &inputs)
        #expect(await Self.waitForAnnotations([second]).isEmpty, "\(daemon.log)")
        #expect(DaemonOutputs.annotation(of: second)?["lines"] as? Int == 10, "b.log's own report")
        try await Self.stopCleanly(daemon, world)
        let streams = try await DaemonProcess.runStmd(["logs", "streams", "--state", world.state], in: world.base)
        // 150 + 10 lines: a second judgement of a.log would have counted 310.
        #expect(streams.exitedCleanly && streams.stdout.contains("160"), "\(streams)")
        #expect(!streams.stdout.contains("310"), "\(streams)")
        inputs.expectUnchanged()
    }
}
