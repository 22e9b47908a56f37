import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Stream memory through the real binary: restart equivalence across SIGKILL, catch-up in (mtime, name) order,
/// out-of-order mtimes, and `stmd memory show/reset` while the daemon runs.
extension DaemonTests {
    /// Writes `text` outside the inbox, sets its mtime to `time` (seconds since the epoch) and renames it into
    /// `stream`: one event, with the mtime the test chose (as `rsync -a` or `tar -x` would leave it).
    static func drop(_ text: String, named name: String, mtime time: Double, into stream: String, _ world: DaemonWorld) throws -> [UInt8] {
        let staging = world.outside + "/" + name
        try RawFS.write(text, to: staging)
        var times = [
            timespec(tv_sec: Int(time), tv_nsec: 0), timespec(tv_sec: Int(time), tv_nsec: 0),
        ]
        try #require(utimensat(AT_FDCWD, staging, &times, 0) == 0, "utimensat \(staging): errno \(errno)")
        try RawFS.rename(staging, world.path(stream, name))
        return world.bytes(stream, name)
    }

    static func memorySection(of input: [UInt8]) throws -> [String: Any] {
        let object = try #require(DaemonOutputs.annotation(of: input), "no annotation of \(String(decoding: input, as: UTF8.self))")
        return try #require(object["memory"] as? [String: Any], "no memory section: \(object)")
    }

    static func memoryShow(_ world: DaemonWorld, _ stream: String) async throws -> [String: Any] {
        let result = try await DaemonProcess.runStmd(["memory", "show", stream, "--json", "--state", world.state], in: world.base)
        try #require(result.exitedCleanly, "\(result)")
        return try JSON.object(result.stdout)
    }

    /// The restart equivalence: run A drops documents 1…N+1 into a live daemon; run B drops 1…N, is killed
    /// with SIGKILL, restarted, and gets N+1 with the same mtime. N+1's annotations are equal apart from the
    /// run-dependent keys — memory section included (related documents, novelty, statistics, state, drift).
    @Test func memoryAfterSIGKILLAndRestartGivesTheUninterruptedResult() async throws {
        let count = 12
        let start = 1_700_000_000.0
        let texts = (0..<(count + 1)).map { Self.document($0 % 5, label: Corpus.labels[($0 / 4) % Corpus.labels.count]) + "item \($0)\n" }
        let times = (0..<(count + 1)).map { start + Double($0) * 600 }

        let worldA = try DaemonWorld("memory-a", streams: ["s"])
        let daemonA = try worldA.start()
        #expect(await daemonA.waitUntilReady(streams: ["s"]))
        var lastA: [UInt8] = []
        for index in 0...count {
            lastA = try Self.drop(texts[index], named: "d\(index).txt", mtime: times[index], into: "s", worldA)
            try #require(await Self.waitForAnnotations([lastA]).isEmpty, "run A: d\(index) not annotated\n\(daemonA.log)")
        }
        try await Self.stopCleanly(daemonA, worldA)

        let worldB = try DaemonWorld("memory-b", streams: ["s"])
        var daemonB = try worldB.start()
        #expect(await daemonB.waitUntilReady(streams: ["s"]))
        for index in 0..<count {
            let input = try Self.drop(texts[index], named: "d\(index).txt", mtime: times[index], into: "s", worldB)
            try #require(await Self.waitForAnnotations([input]).isEmpty, "run B: d\(index) not annotated\n\(daemonB.log)")
        }
        let killed = try await daemonB.kill()
        #expect(killed.signalled && killed.status == SIGKILL)
        daemonB = try worldB.start()
        #expect(await daemonB.waitUntilReady(streams: ["s"]))
        let lastB = try Self.drop(texts[count], named: "d\(count).txt", mtime: times[count], into: "s", worldB)
        try #require(await Self.waitForAnnotations([lastB]).isEmpty, "run B: the last document not annotated\n\(daemonB.log)")
        try await Self.stopCleanly(daemonB, worldB)

        let a = try #require(DaemonOutputs.annotation(of: lastA))
        let b = try #require(DaemonOutputs.annotation(of: lastB))
        #expect(try JSON.stableText(a) == JSON.stableText(b))
        let memory = try Self.memorySection(of: lastB)
        #expect(memory["sequence"] as? Int == count + 1)
        #expect((memory["related"] as? [Any])?.isEmpty == false, "\(memory)")
        #expect(try await Self.memoryShow(worldB, "s")["documents"] as? Int == count + 1)
    }

    /// Files already in a stream when the daemon starts (a `tar -x` of an archive: names not in time order) are
    /// counted in (mtime, name) order; a file that arrives later with an older mtime is counted after them, without
    /// decay and without moving the stream's latest time back.
    @Test func catchUpFollowsMtimeOrderAndLateOldFilesAreCounted() async throws {
        let world = try DaemonWorld("memory-order", streams: ["s"])
        let start = 1_700_000_000.0
        // Names in reverse time order; two files share an mtime (then the name decides).
        let planned: [(name: String, time: Double)] = [
            ("e.txt", start), ("d.txt", start + 60), ("b.txt", start + 120), ("c.txt", start + 120), ("a.txt", start + 180),
        ]
        for (index, file) in planned.enumerated() {
            _ = try Self.drop(Self.document(index), named: file.name, mtime: file.time, into: "s", world)
        }
        let daemon = try world.start()
        let inputs = planned.map { world.bytes("s", $0.name) }
        try #require(await Self.waitForAnnotations(inputs).isEmpty, "\(daemon.log)")
        let sequences = try inputs.map { try Self.memorySection(of: $0)["sequence"] as? Int }
        #expect(sequences == [1, 2, 3, 4, 5], "sequence per file in (mtime, name) order: \(sequences)")

        let late = try Self.drop(Self.document(7), named: "late.txt", mtime: start - 3600, into: "s", world)
        try #require(await Self.waitForAnnotations([late]).isEmpty, "\(daemon.log)")
        let memory = try Self.memorySection(of: late)
        #expect(memory["sequence"] as? Int == 6)
        #expect((memory["state"] as? [String: Any])?["decay"] as? Double == 1)
        let shown = try await Self.memoryShow(world, "s")
        #expect(shown["latest_event_time"] as? Double == start + 180)
        try await Self.stopCleanly(daemon, world)
    }

    /// `stmd memory show` and `stmd memory reset` while the daemon runs: the reset empties the stream at once, and
    /// the daemon's next document starts a fresh memory (sequence 1, empty window) instead of its cached one.
    @Test func memoryShowAndResetWorkWhileTheDaemonRuns() async throws {
        let world = try DaemonWorld("memory-reset", streams: ["s", "t"])
        let daemon = try world.start()
        #expect(await daemon.waitUntilReady(streams: ["s", "t"]))
        var inputs = InputLedger()
        for index in 0..<3 {
            let input = try world.write(Self.document(index), "s", "d\(index).txt", into: &inputs)
            try #require(await Self.waitForAnnotations([input]).isEmpty, "\(daemon.log)")
        }
        let other = try world.write(Self.document(5), "t", "x.txt", into: &inputs)
        try #require(await Self.waitForAnnotations([other]).isEmpty, "\(daemon.log)")

        let shown = try await Self.memoryShow(world, "s")
        #expect(shown["documents"] as? Int == 3)
        #expect((shown["window"] as? [Any])?.count == 3)
        let text = try await DaemonProcess.runStmd(["memory", "show", "s", "--state", world.state], in: world.base)
        #expect(text.exitedCleanly && text.stdout.contains("3 documents counted"), "\(text)")

        let reset = try await DaemonProcess.runStmd(["memory", "reset", "s", "--state", world.state], in: world.base)
        #expect(reset.exitedCleanly && reset.stdout.contains("3 document(s) forgotten"), "\(reset)")
        #expect(try await Self.memoryShow(world, "s")["documents"] as? Int == 0)

        let next = try world.write(Self.document(3), "s", "after-reset.txt", into: &inputs)
        try #require(await Self.waitForAnnotations([next]).isEmpty, "\(daemon.log)")
        let memory = try Self.memorySection(of: next)
        #expect(memory["sequence"] as? Int == 1, "\(memory)")
        #expect(memory["window"] as? Int == 0, "\(memory)")
        #expect(try await Self.memoryShow(world, "s")["documents"] as? Int == 1)
        // The other stream kept its memory.
        #expect(try await Self.memoryShow(world, "t")["documents"] as? Int == 1)

        let missing = try await DaemonProcess.runStmd(["memory", "show", "nosuch", "--state", world.state], in: world.base)
        #expect(!missing.exitedCleanly && missing.stderr.contains("stream 'nosuch' has no memory"), "\(missing)")
        try await Self.stopCleanly(daemon, world)
        inputs.expectUnchanged()
    }

    /// `stmd annotate --stream`: files annotated in a stream's memory kept in `--state`, across invocations; with a
    /// daemon holding the folder, a read-write annotate is refused and `--read-only` reads the daemon's memory.
    @Test func annotateInAStreamContextKeepsItsStateInTheStateFolder() async throws {
        let world = try DaemonWorld("memory-annotate", streams: ["s"])
        let model = ["--models", world.fixture.models, "--task", "topic=\(world.fixture.modelName)"]
        let files = try (0..<3).map { index -> String in
            let path = world.outside + "/n\(index).txt"
            try RawFS.write(Self.document(index), to: path)
            return path
        }
        let first = try await DaemonProcess.runStmd(
            ["annotate", "--stream", "s", "--state", world.state] + model + Array(files.prefix(2)), in: world.base)
        try #require(first.exitedCleanly, "\(first)")
        let firstMemory = try first.stdoutLines.map { try JSON.dictionary(try JSON.object($0), "memory") }
        #expect(firstMemory.map { $0["sequence"] as? Int } == [1, 2])
        let second = try await DaemonProcess.runStmd(
            ["annotate", "--stream", "s", "--state", world.state] + model + [files[2]], in: world.base)
        try #require(second.exitedCleanly, "\(second)")
        let memory = try JSON.dictionary(try JSON.object(second.stdout), "memory")
        #expect(memory["sequence"] as? Int == 3, "the second invocation continues the stream: \(memory)")
        #expect(memory["window"] as? Int == 2)

        let daemon = try world.start()
        #expect(await daemon.waitUntilReady(streams: ["s"]))
        let refused = try await DaemonProcess.runStmd(
            ["annotate", "--stream", "s", "--state", world.state] + model + [files[0]], in: world.base)
        #expect(!refused.exitedCleanly && refused.stderr.contains("--read-only"), "\(refused)")
        let readOnly = try await DaemonProcess.runStmd(
            ["annotate", "--stream", "s", "--state", world.state, "--read-only"] + model + [files[0]], in: world.base)
        try #require(readOnly.exitedCleanly, "\(readOnly)")
        let readMemory = try JSON.dictionary(try JSON.object(readOnly.stdout), "memory")
        #expect(readMemory["sequence"] as? Int == 4)
        #expect(readMemory["near_duplicate"] as? Bool == true, "n0.txt is in the window: \(readMemory)")
        #expect(try await Self.memoryShow(world, "s")["documents"] as? Int == 3, "--read-only changed nothing")
        try await Self.stopCleanly(daemon, world)

        let misuse = try await DaemonProcess.runStmd(["annotate", "--read-only"] + model + [files[0]], in: world.base)
        #expect(!misuse.exitedCleanly && misuse.stderr.contains("--stream"), "\(misuse)")
    }
}

extension DaemonTests {
    /// A polled inbox reports the files one pass finds in (mtime, name) order, as a catch-up scan does: a stream
    /// folder moved in whole (one pass sees all its files) is counted by memory in mtime order, not directory order.
    @Test func aPolledStreamCountsOnePassInMtimeOrder() async throws {
        let world = try DaemonWorld("pollorder", streams: ["s"], settings: "poll = true\npoll_interval = \"200ms\"\n")
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["s"]), "\(daemon.log)")
        let staging = world.outside + "/t"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        // Names in one order, mtimes in a scrambled other one.
        let mtimes = (0..<12).map { 1_700_000_000 + Double(($0 * 7) % 12) * 60 }
        for (index, time) in mtimes.enumerated() {
            let path = staging + "/n\(index).txt"
            try RawFS.write(Self.document(index), to: path)
            var times = [timespec(tv_sec: Int(time), tv_nsec: 0), timespec(tv_sec: Int(time), tv_nsec: 0)]
            try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        try RawFS.rename(staging, world.inbox + "/t")
        let inputs = (0..<12).map { world.bytes("t", "n\($0).txt") }
        try #require(await Self.waitForAnnotations(inputs).isEmpty, "\(daemon.log)")
        let sequences = try inputs.map { try #require(try Self.memorySection(of: $0)["sequence"] as? Int) }
        let byMtime = (0..<12).sorted { mtimes[$0] < mtimes[$1] }
        #expect(byMtime.map { sequences[$0] } == Array(1...12), "sequence by mtime order: \(byMtime.map { sequences[$0] })")
        try await Self.stopCleanly(daemon, world)
    }
}
