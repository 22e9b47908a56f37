import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Signals, the state lock, `stmd status`, `stmd retry`, permissions, and the shipped models.
extension DaemonTests {
    /// SIGTERM while busy (800 documents queued): exit 0 within 5 s, every output already written complete, no
    /// temporary file left; a restart on the same state finishes the rest.
    @Test func sigtermWhileBusyExitsCleanlyWithinFiveSeconds() async throws {
        let backlog = 800
        let world = try DaemonWorld("sigterm", streams: ["a"])
        let inputs = try (0..<backlog).map { index in
            let path = world.bytes("a", "f\(index).txt")
            try RawFS.write(Array(Self.document(index).utf8), to: path)
            return path
        }
        let daemon = try world.start()
        try #require(
            await eventually(timeout: Self.outputTimeout) {
                DaemonOutputs.annotationCount(in: world.stream("a")) >= 50
            },
            "\(daemon.log)")
        let (result, seconds) = try await daemon.stop()
        let atStop = DaemonOutputs.annotationCount(in: world.stream("a"))
        #expect(result.exitedCleanly, "\(result)")
        #expect(seconds < 5, "SIGTERM took \(seconds) s")
        #expect(result.stderr.contains("notice: stopping (SIGTERM)"), "\(result.stderr)")
        #expect(atStop < backlog, "the daemon finished everything before the signal: the test proves nothing")
        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)
        for input in inputs where RawFS.exists(DaemonOutputs.annotationPath(input)) {
            try DaemonOutputs.expectAnnotation(of: input, stream: "a")
        }

        let again = try world.start()
        #expect(await Self.waitForAnnotations(inputs).isEmpty, "\(again.log)")
        try await Self.stopCleanly(again, world)
        for input in inputs { try DaemonOutputs.expectAnnotation(of: input, stream: "a") }
        let status = try await world.status()
        #expect(status.streams["a"]?["done"] as? Int == backlog, "\(status.streams)")
        print("sigterm: exited in \(seconds) s with \(atStop) of \(backlog) annotated")
    }

    /// A second daemon on the same state refuses to start, naming the lock; `stmd status` (text and JSON) shows the
    /// running daemon, its streams and their counts.
    @Test func aSecondDaemonOnTheSameStateRefusesAndStatusShowsTheStreams() async throws {
        let world = try DaemonWorld("lock", streams: ["news", "mail"])
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["news", "mail"]), "\(daemon.log)")
        var inputs = InputLedger()
        let good = try (0..<3).map { try world.write(Self.document($0), "news", "n\($0).txt", into: &inputs) }
        let empty = try world.write("", "mail", "empty.txt", into: &inputs)
        let mail = try world.write(Self.document(5), "mail", "m.txt", into: &inputs)
        #expect(await Self.waitForAnnotations(good + [mail]).isEmpty, "\(daemon.log)")
        #expect(await eventually(timeout: Self.outputTimeout) { RawFS.exists(DaemonOutputs.errorPath(empty)) })

        // The second daemon: another inbox, the same state.
        let other = world.base + "/other-inbox"
        try FileManager.default.createDirectory(atPath: other + "/x", withIntermediateDirectories: true)
        let second = try DaemonProcess(
            [
                "run", "--inbox", other, "--state", world.state, "--config", world.configPath, "--models",
                world.fixture.models,
            ],
            in: world.base, faults: nil, user: .current)
        let refused = try await second.exit()
        #expect(!refused.signalled && refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("lock"), "no word about the lock: \(refused.stderr)")
        #expect(refused.stderr.contains(world.state), "the state folder is not named: \(refused.stderr)")
        #expect(RawFS.names(in: other + "/x").isEmpty)

        // `stmd status`: running (the status file is refreshed once a second), the streams, their counts.
        var status = (running: false, streams: [String: [String: Any]]())
        let running = try await eventuallyAsync(timeout: 10, interval: .milliseconds(100)) {
            status = try await world.status()
            return status.running && status.streams["mail"]?["failed"] as? Int == 1
                && status.streams["mail"]?["done"] as? Int == 1 && status.streams["news"]?["done"] as? Int == 3
        }
        #expect(running, "running, news: 3 done, mail: 1 done and 1 failed; got \(status)")
        #expect((status.streams["mail"]?["last_error"] as? String)?.contains("empty") == true, "\(status.streams)")
        let text = try await DaemonProcess.runStmd(["status", "--state", world.state], in: world.base)
        #expect(text.exitedCleanly, "\(text)")
        #expect(text.stdout.contains("stmd is running (pid "), "\(text.stdout)")
        let lines = text.stdoutLines.map(String.init)
        let newsLine = lines.first { $0.hasPrefix("news ") }
        let mailLine = lines.first { $0.hasPrefix("mail ") }
        #expect(newsLine?.split(separator: " ").dropFirst().first == "3", "\(text.stdout)")
        #expect(mailLine?.split(separator: " ").dropFirst().prefix(2) == ["1", "1"], "\(text.stdout)")

        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
        let stopped = try await world.status()
        #expect(!stopped.running)
    }

    /// `stmd retry STREAM` re-queues a failed document. A binary file fails (permanently: an error output). Its
    /// inotify events are hidden (`hide-event`), so the daemon cannot notice the file being fixed by itself. A
    /// retry of the unchanged file fails it again; once the file is fixed, a retry annotates it and the error output
    /// goes. `stmd retry` with nothing to retry says so and exits non-zero.
    @Test func retryRequeuesAFailedDocument() async throws {
        let world = try DaemonWorld("retry", streams: ["docs"])
        let broken = world.bytes("docs", "broken.txt")
        try RawFS.write(Array("half a document".utf8) + [0, 0, 0] + Array(" and binary junk\n".utf8), to: broken)
        // The catch-up scan finds it: its own events would be hidden.
        let daemon = try world.start(faults: "hide-event:broken.txt")
        #expect(
            await eventually(timeout: Self.outputTimeout) { RawFS.exists(DaemonOutputs.errorPath(broken)) },
            "\(daemon.log)")
        try DaemonOutputs.expectError(of: broken, stream: "docs", code: "binary")
        let isFailed = { (streams: [String: [String: Any]]) in
            streams["docs"]?["failed"] as? Int == 1 && streams["docs"]?["retrying"] as? Int == 0
        }
        let failed = try await world.status(until: isFailed)
        try #require(failed.held, "\(failed.streams)")

        // Unchanged: `retry` makes the row `retrying` at once; the daemon takes it (it looks for due retries once a
        // second), fails it again, and the error output stays.
        let unchanged = try await DaemonProcess.runStmd(["retry", "--state", world.state, "docs"], in: world.base)
        #expect(unchanged.exitedCleanly && unchanged.stdout.contains("1 document(s) re-queued"), "\(unchanged)")
        let failure = "broken.txt: the file holds NUL bytes"
        #expect(
            await daemon.waitForLog { $0.ranges(of: failure).count >= 2 }, "the retry did not run\n\(daemon.log)")
        let failedAgain = try await world.status(until: isFailed)
        #expect(failedAgain.held, "\(failedAgain.streams)")
        try DaemonOutputs.expectError(of: broken, stream: "docs", code: "binary")

        // Fixed behind the daemon's back, then retried: annotated, and the error output is gone.
        try RawFS.write(Array(Self.document(1).utf8), to: broken)
        let fixed = try await DaemonProcess.runStmd(["retry", "--state", world.state, "docs"], in: world.base)
        #expect(fixed.exitedCleanly && fixed.stdout.contains("1 document(s) re-queued"), "\(fixed)")
        #expect(await Self.waitForAnnotations([broken]).isEmpty, "\(daemon.log)")
        try DaemonOutputs.expectAnnotation(of: broken, stream: "docs")
        let ledger = try await world.status(until: { streams in
            streams["docs"]?["done"] as? Int == 1 && streams["docs"]?["failed"] as? Int == 0
        })
        #expect(ledger.held, "\(ledger.streams)")

        let nothing = try await DaemonProcess.runStmd(["retry", "--state", world.state, "docs"], in: world.base)
        #expect(!nothing.exitedCleanly && nothing.stderr.contains("no failed document matches 'docs'"), "\(nothing)")
        try await Self.stopCleanly(daemon, world)
    }

    /// A file the daemon may not read (mode 000) fails transiently and is retried with backoff: once readable again
    /// it is annotated without anyone asking. As root, mode 000 does not stop a read, so the daemon runs as `nobody`
    /// (through `setpriv`) to see the file as a normal user would.
    @Test(
        .enabled(
            if: geteuid() != 0 || findTool("setpriv") != nil,
            "running as root without setpriv: mode 000 cannot make a file unreadable"))
    func anUnreadableFileIsRetriedUntilItCanBeRead() async throws {
        let world = try DaemonWorld(
            "unreadable", streams: ["docs"],
            tables: "[retry]\nmax_attempts = 50\ninitial_backoff = \"200ms\"\nmaximum_backoff = \"400ms\"\n")
        let user: DaemonWorld.User = geteuid() == 0 ? .nobody : .current
        if user == .nobody {
            // nobody must reach the inbox, the state, the configuration and the model (made by root, 0755/0644).
            for path in [world.inbox, world.stream("docs"), world.base] {
                #expect(chown(path, uid_t(DaemonProcess.nobody.uid), gid_t(DaemonProcess.nobody.gid)) == 0)
            }
            var folder = URL(fileURLWithPath: world.base)
            while folder.path != "/" {
                let mode =
                    (try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int) ?? 0
                try #require(
                    mode & 0o001 != 0, "\(folder.path) is not searchable by nobody (mode \(String(mode, radix: 8)))")
                folder.deleteLastPathComponent()
            }
        }
        let locked = world.bytes("docs", "locked.txt")
        try RawFS.write(Array(Self.document(1).utf8), to: locked)
        chmod(world.path("docs", "locked.txt"), 0)
        let daemon = try world.start(user: user)
        #expect(await daemon.waitForLog("locked.txt: temporarily unreadable"), "\(daemon.log)")
        #expect(await daemon.waitForLog("retrying in"), "\(daemon.log)")
        #expect(!RawFS.exists(DaemonOutputs.annotationPath(locked)) && !RawFS.exists(DaemonOutputs.errorPath(locked)))
        let retrying = try await world.status(until: { $0["docs"]?["retrying"] as? Int == 1 }, user: user)
        #expect(retrying.held, "\(retrying.streams)")

        chmod(world.path("docs", "locked.txt"), 0o644)
        #expect(await Self.waitForAnnotations([locked]).isEmpty, "\(daemon.log)")
        try DaemonOutputs.expectAnnotation(of: locked, stream: "docs")
        try await Self.stopCleanly(daemon, world)
    }

    /// An idle daemon does not write to its disk once a second: `status.json` changes with its figures only, and
    /// `stmd status` still reports the daemon running (it asks the kernel whether the state lock is held, not how
    /// old the file is). After SIGKILL the file stays behind, and `stmd status` reports the daemon stopped.
    @Test func anIdleDaemonLeavesItsStatusFileAlone() async throws {
        let world = try DaemonWorld("idle-status", streams: ["docs"])
        var inputs = InputLedger()
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["docs"]), "\(daemon.log)")
        let first = try world.write(Self.document(1), "docs", "first.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([first]).isEmpty, "\(daemon.log)")
        let statusPath = world.state + "/status.json"
        let published = {
            guard let data = FileManager.default.contents(atPath: statusPath),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return -1 }
            return object["published"] as? Int ?? -1
        }
        #expect(await eventually(timeout: 5) { published() == 1 }, "published: \(published())")
        let before = try #require(InputSnapshot.take(Array(statusPath.utf8)))
        // What is checked is an absence over two of the daemon's one-second ticks, so this wait is the test itself.
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(InputSnapshot.take(Array(statusPath.utf8)) == before, "status.json was rewritten while idle")
        let running = try await world.status()
        #expect(running.running, "\(running.streams)")

        _ = try await daemon.kill()
        #expect(RawFS.exists(Array(statusPath.utf8)))
        let stopped = try await world.status()
        #expect(!stopped.running, "\(stopped.streams)")
    }

    /// Bad inputs are answered once: a rescan (here the periodic reconciliation, every second) finds the same bad
    /// file again and must leave its error output alone, as it leaves a good file's annotation alone.
    @Test func errorOutputsAreWrittenOnce() async throws {
        let world = try DaemonWorld("error-once", streams: ["docs"], settings: "reconcile_interval = \"1s\"\n")
        var inputs = InputLedger()
        let empty = try world.write("", "docs", "empty.txt", into: &inputs)
        let good = try world.write(Self.document(1), "docs", "good.txt", into: &inputs)
        let daemon = try world.start(verbose: true)
        #expect(await Self.waitForAnnotations([good]).isEmpty, "\(daemon.log)")
        #expect(await eventually(timeout: Self.outputTimeout) { RawFS.exists(DaemonOutputs.errorPath(empty)) })
        let errorBefore = try #require(InputSnapshot.take(DaemonOutputs.errorPath(empty)))
        let goodBefore = try #require(InputSnapshot.take(DaemonOutputs.annotationPath(good)))

        // Two reconciliation passes after both outputs exist (each rescan finds both files again).
        #expect(
            await daemon.waitForLog(timeout: 10) { log in
                log.ranges(of: "reconciliation: rescanning every stream").count >= 3
            }, "\(daemon.log)")
        #expect(InputSnapshot.take(DaemonOutputs.annotationPath(good)) == goodBefore)
        #expect(InputSnapshot.take(DaemonOutputs.errorPath(empty)) == errorBefore, "the error output was rewritten")

        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }

    // MARK: The shipped models

    /// The smoke test with the shipped models: no configuration and no `--models`, so the built-in default tasks
    /// (`topic` = topic-news, `sentiment` = sentiment-en) and the repository's `Models/`. Stopped with SIGINT.
    @Test func theShippedModelsAnnotateADroppedDocument() async throws {
        let world = try DaemonWorld("shipped", streams: ["news"])
        let daemon = try world.start(shippedModels: true)
        try #require(await daemon.waitUntilReady(streams: ["news"]), "\(daemon.log)")
        #expect(daemon.log.contains("configuration: built-in defaults"), "\(daemon.log)")
        var inputs = InputLedger()
        let match = try world.write(
            "The striker scored twice as the home team won the league match on Saturday.\n", "news", "match.txt",
            into: &inputs)
        #expect(await Self.waitForAnnotations([match]).isEmpty, "\(daemon.log)")
        let annotation = try DaemonOutputs.expectAnnotation(of: match, stream: "news", tasks: ["topic", "sentiment"])
        let models = annotation["models"] as? [String: String] ?? [:]
        #expect(Set(models.keys) == ["topic-news", "sentiment-en"], "\(annotation)")
        let tasks = annotation["tasks"] as? [String: [String: Any]] ?? [:]
        #expect(tasks["topic"]?["model"] as? String == "topic-news")
        #expect(tasks["topic"]?["label"] as? String == "Sports", "\(annotation)")
        #expect(tasks["sentiment"]?["model"] as? String == "sentiment-en")
        #expect(["negative", "positive"].contains(tasks["sentiment"]?["label"] as? String ?? ""))
        inputs.expectUnchanged()
        let (result, seconds) = try await daemon.stop(SIGINT)
        #expect(result.exitedCleanly && seconds < 5, "\(result)")
        #expect(result.stderr.contains("stopping (SIGINT)"))
        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The README's promise: `stmd run --inbox <a copy of demo/inbox> --config demo/stmd.toml` annotates the sample
    /// documents shipped in every stream with that stream's tasks, and a file dropped in afterwards; Ctrl-C (SIGINT)
    /// stops it cleanly.
    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: repository + "/demo/inbox"), "demo/inbox is not there yet"))
    func theDemoInboxIsAnnotated() async throws {
        let world = try DaemonWorld("demo")
        try FileManager.default.removeItem(atPath: world.inbox)
        try FileManager.default.copyItem(atPath: Self.repository + "/demo/inbox", toPath: world.inbox)
        let samples = RawFS.files(under: world.inbox).filter {
            !$0.ends(with: ".stm.json") && RawFS.baseName($0).first != 0x2E
        }
        let streams = RawFS.names(in: world.inbox).map { String(decoding: $0, as: UTF8.self) }.filter {
            RawFS.status(Array((world.inbox + "/" + $0).utf8)).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
        }
        try #require(!samples.isEmpty && !streams.isEmpty, "demo/inbox holds no sample documents")
        var inputs = InputLedger()
        for sample in samples { inputs.record(sample) }

        let daemon = try world.start(shippedModels: true, extra: ["--config", Self.repository + "/demo/stmd.toml"])
        let missing = await Self.waitForAnnotations(samples)
        #expect(missing.isEmpty, "not annotated: \(missing.map(\.shown))\n\(daemon.log)")
        let tasksByStream: [String: Set<String>] = [
            "news": ["topic", "sentiment", "summary"], "reviews": ["topic", "sentiment"], "photos": ["translation"],
        ]
        #expect(Set(streams) == Set(tasksByStream.keys), "demo/stmd.toml and demo/inbox name the same streams")
        for sample in samples {
            let relative = String(decoding: sample.dropFirst(world.inbox.utf8.count + 1), as: UTF8.self)
            let stream = String(relative.prefix { $0 != "/" })
            let annotation = try DaemonOutputs.expectAnnotation(of: sample, stream: stream, tasks: tasksByStream[stream] ?? [])
            if stream == "photos" {
                let translation = (annotation["tasks"] as? [String: Any])?["translation"] as? [String: Any]
                #expect((translation?["translation"] as? String)?.isEmpty == false, "\(annotation)")
            }
        }
        let dropped = try world.write(
            "Shares rallied after the central bank held interest rates steady.\n", "reviews", "dropped.txt",
            into: &inputs)
        #expect(await Self.waitForAnnotations([dropped]).isEmpty, "\(daemon.log)")
        try DaemonOutputs.expectAnnotation(of: dropped, stream: "reviews", tasks: ["topic", "sentiment"])
        inputs.expectUnchanged()
        let (result, seconds) = try await daemon.stop(SIGINT)
        #expect(result.exitedCleanly && seconds < 5, "\(result)")
        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)
        print("demo: \(samples.count) samples in \(streams.sorted()) annotated")
    }

    /// `[memory] context_head` with the shipped `topic-news-context`: every annotation's memory section carries the
    /// head's answer read in the stream's context, over the topic model's labels; the head's stream state grows.
    @Test func theShippedContextHeadAnswersInTheStreamsContext() async throws {
        let world = try DaemonWorld("context-head", streams: ["news"])
        try RawFS.write(
            "[memory]\ncontext_head = \"topic-news-context\"\n\n[defaults]\ntasks = { topic = \"topic-news\" }\n",
            to: world.configPath)
        let daemon = try DaemonProcess(
            ["run", "--inbox", world.inbox, "--state", world.state, "--config", world.configPath], in: world.base, faults: nil,
            user: .current)
        try #require(await daemon.waitUntilReady(streams: ["news"]), "\(daemon.log)")
        var inputs = InputLedger()
        let texts = [
            "Shares rallied after the central bank held interest rates steady.",
            "Oil prices fell as stockpiles rose and investors sold energy stocks.",
            "The company reported record quarterly profit and raised its dividend.",
        ]
        var paths: [[UInt8]] = []
        for (index, text) in texts.enumerated() {
            let path = try world.write(text + "\n", "news", "d\(index).txt", into: &inputs)
            #expect(await Self.waitForAnnotations([path]).isEmpty, "\(daemon.log)")
            paths.append(path)
        }
        let labels: Set<String> = ["World", "Sports", "Business", "Sci/Tech"]
        var sizes: [Int] = []
        for path in paths {
            let annotation = try #require(DaemonOutputs.annotation(of: path))
            let memory = try #require(annotation["memory"] as? [String: Any], "\(annotation)")
            let context = try #require(memory["context"] as? [String: Any], "no context answer: \(memory)")
            let scores = try #require(context["scores"] as? [String: Double])
            #expect(Set(scores.keys) == labels)
            #expect(abs(scores.values.reduce(0, +) - 1) < 1e-3)
            #expect(labels.contains(context["label"] as? String ?? ""))
            sizes.append((memory["state"] as? [String: Any])?["size"] as? Int ?? 0)
        }
        #expect(sizes.allSatisfy { $0 > 0 }, "the head keeps a stream state: \(sizes)")
        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }
}
