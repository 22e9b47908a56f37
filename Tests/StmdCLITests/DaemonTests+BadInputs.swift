import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input never stops the daemon and is never changed: each gets an error output (or, gone, nothing).
extension DaemonTests {
    /// Empty, binary (NUL bytes), over `max_file_size`, a symlink to a document outside the inbox and a dangling
    /// one (never followed), a FIFO (never opened: its error output comes at once, and no reader holds it), names
    /// with a newline and with the byte 0xE9, files deleted before they are read, and two stream folders — one
    /// moved out of the inbox, one deleted — while their files are queued. Then a probe shows the daemon still
    /// answers, every input is byte for byte and time for time what it was, and `stmd status` counts the failures.
    @Test(.serialized, arguments: WatchMode.allCases)
    func badInputsGetErrorOutputsAndAreNeverChanged(_ mode: WatchMode) async throws {
        let streams = ["bad", "names", "busy", "doomed", "erased"]
        let world = try DaemonWorld(
            "bad-\(mode)", streams: streams, settings: mode.settings + "max_file_size = \"1KiB\"\n",
            tables: "[retry]\ninitial_backoff = \"100ms\"\nmaximum_backoff = \"200ms\"\n")
        let daemon = try world.start(poll: mode == .poll)
        try #require(await daemon.waitUntilReady(streams: streams), "\(daemon.log)")
        var inputs = InputLedger()

        // Backlogs first, so files are queued behind them when their folders go away or they are deleted.
        var backlog: [String: [[UInt8]]] = [:]
        var goneInputs = InputLedger()  // the files of the streams that go away: not compared at the end
        for stream in ["busy", "doomed", "erased"] {
            backlog[stream] = try (0..<300).map { index in
                if stream == "busy" {
                    return try world.write(Self.document(index), stream, "b\(index).txt", into: &inputs)
                }
                return try world.write(Self.document(index), stream, "b\(index).txt", into: &goneInputs)
            }
        }
        let victimText = Self.document(7)
        let victims = try (0..<10).map { index in
            let path = world.bytes("busy", "victim\(index).txt")
            try RawFS.write(Array(victimText.utf8), to: path)
            return path
        }

        let empty = try world.write("", "bad", "empty.txt", into: &inputs)
        let binary = world.bytes("bad", "binary.dat")
        try RawFS.write(Array("text, then NUL bytes".utf8) + [0, 1, 2, 0] + Array(" and more text\n".utf8), to: binary)
        inputs.record(binary)
        let large = try world.write(
            String(repeating: "rocket orbit planet comet\n", count: 50), "bad", "large.txt", into: &inputs)
        let secret = world.outside + "/secret.txt"
        try RawFS.write(Self.document(31), to: secret)
        inputs.record(secret)
        let link = world.path("bad", "link.txt")
        try RawFS.symlink(secret, at: link)
        inputs.record(link)
        let dangling = world.path("bad", "dangling.txt")
        try RawFS.symlink(world.outside + "/nowhere.txt", at: dangling)
        inputs.record(dangling)
        let fifo = world.path("bad", "pipe.txt")
        let fifoMade = ContinuousClock.now
        try RawFS.makeFIFO(fifo)
        inputs.record(fifo)

        let newline = try world.write(Self.document(32), "names", "line\nbreak.txt", into: &inputs)
        let latin1 = Array(world.stream("names").utf8) + [0x2F] + Array("caf".utf8) + [0xE9] + Array(".txt".utf8)
        try RawFS.write(Array(Self.document(33).utf8), to: latin1)
        inputs.record(latin1)

        // The FIFO's error output comes promptly (it is never opened, so nothing can block on it).
        let fifoBytes = Array(fifo.utf8)
        #expect(await eventually(timeout: Self.outputTimeout) { RawFS.exists(DaemonOutputs.errorPath(fifoBytes)) })
        let fifoSeconds = Double((ContinuousClock.now - fifoMade).components.seconds)
        // A worker blocked opening it would never write it (the wait above fails); this bound only flags a delay
        // far beyond a poll interval and a settle check, with room for a loaded machine.
        #expect(fifoSeconds < 10, "the FIFO's error output took \(fifoSeconds) s")
        let writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        let openError = errno
        if writer >= 0 { close(writer) }
        #expect(writer < 0 && openError == ENXIO, "someone holds the FIFO open for reading")

        // Once their streams are being processed: delete the victims, move `doomed` out of the inbox, delete `erased`.
        for stream in ["busy", "doomed", "erased"] {
            let first = backlog[stream]!
            #expect(
                await eventually(timeout: Self.outputTimeout) {
                    first.contains { RawFS.exists(DaemonOutputs.annotationPath($0)) }
                },
                "\(stream) never started\n\(daemon.log)")
        }
        for victim in victims { try RawFS.unlink(victim) }
        try RawFS.rename(world.stream("doomed"), world.outside + "/doomed-moved")
        var removalError: (any Error)?
        let erased = await eventually(timeout: 10) {
            // The daemon may add an output while the folder is being emptied: remove until it is gone.
            do { try FileManager.default.removeItem(atPath: world.stream("erased")) } catch { removalError = error }
            return !RawFS.exists(world.stream("erased"))
        }
        try #require(erased, "could not delete the stream folder: \(String(describing: removalError))")
        let remainingBacklog = backlog["busy"]!

        // Still answering, and the streams that went away are released, not recreated.
        let probe = try world.write(Self.document(34), "names", "probe.txt", into: &inputs)
        let missing = await Self.waitForAnnotations([probe, newline, latin1] + remainingBacklog)
        #expect(missing.isEmpty, "not annotated: \(missing.map(\.shown))\n\(daemon.log)")
        #expect(await daemon.waitForLog("stream doomed (\(world.inbox)) is gone"), "\(daemon.log)")
        #expect(await daemon.waitForLog("stream erased (\(world.inbox)) is gone"), "\(daemon.log)")
        #expect(
            !RawFS.exists(world.stream("doomed")) && !RawFS.exists(world.stream("erased")), "a removed stream came back"
        )

        // Error outputs, by code.
        let errors: [(input: [UInt8], code: String)] = [
            (empty, "empty"), (binary, "binary"), (large, "too-large"), (Array(link.utf8), "not-a-regular-file"),
            (Array(dangling.utf8), "not-a-regular-file"), (fifoBytes, "not-a-regular-file"),
        ]
        #expect(
            await eventually(timeout: Self.outputTimeout) {
                errors.allSatisfy { RawFS.exists(DaemonOutputs.errorPath($0.input)) }
            },
            "missing error outputs\n\(daemon.log)")
        for (input, code) in errors {
            let report = try DaemonOutputs.expectError(of: input, stream: "bad", code: code)
            if code == "not-a-regular-file" {
                let message = (report["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("not a regular file"), "\(message)")
            }
        }
        #expect(
            !RawFS.exists(secret + ".stm.json") && !RawFS.exists(secret + ".stm.error.json"), "the link was followed")
        #expect(!RawFS.exists(world.outside + "/nowhere.txt"), "the dangling link's target was created")

        // Names: the exact input name plus `.stm.json`, and the name in the annotation as documented.
        try DaemonOutputs.expectAnnotation(of: newline, stream: "names", relativePath: "line\nbreak.txt")
        let latin1Annotation = try DaemonOutputs.expectAnnotation(of: latin1, stream: "names")
        #expect((latin1Annotation["input"] as? [String: Any])?["name"] as? String == "caf\\xE9.txt")
        #expect((latin1Annotation["input"] as? [String: Any])?["name_base64"] as? String == "Y2Fm6S50eHQ=")

        // Deleted before being read (best effort: a victim read before its deletion has a normal annotation).
        let victimSHA = DaemonOutputs.sha256(Array(victimText.utf8))
        for victim in victims {
            if let report = RawFS.read(DaemonOutputs.errorPath(victim)) {
                Issue.record("a deleted file got an error output: \(String(decoding: report, as: UTF8.self))")
            }
            if let annotation = DaemonOutputs.annotation(of: victim) {
                #expect((annotation["input"] as? [String: Any])?["sha256"] as? String == victimSHA)
            }
        }

        // The ledger agrees: six failures in `bad`, the named documents done.
        let ledger = try await world.status(until: { streams in
            streams["bad"]?["failed"] as? Int == errors.count && streams["bad"]?["done"] as? Int == 0
                && streams["names"]?["done"] as? Int == 3
                && streams["busy"]?["done"] as? Int ?? 0 >= remainingBacklog.count
        })
        #expect(ledger.held, "\(ledger.streams)")

        // Documents of the streams that went away are finished with, not retried forever. Their retries fall due
        // after `[retry] initial_backoff` (100 ms here) and are looked for once a second: 3 s is plenty. (The same
        // code serves both modes: checked once.)
        if mode == .inotify {
            var lingering: [String: Int] = [:]
            let settled = try await eventuallyAsync(timeout: 3, interval: .milliseconds(200)) {
                let streams = try await world.status().streams
                for stream in ["doomed", "erased"] { lingering[stream] = streams[stream]?["retrying"] as? Int ?? 0 }
                return lingering.values.allSatisfy { $0 == 0 }
            }
            #expect(settled, "still retrying: \(lingering)")
        }

        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)
        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }
}
