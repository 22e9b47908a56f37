import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `stmd run` as a user runs it: the real (debug) binary on temporary inboxes, files dropped the ways real
/// clients drop them, bad inputs, faults injected through `STMD_FAULTS`, crashes, signals, `status` and `retry`.
///
/// Serialized: two cores make parallel daemons flaky. Every wait is on an observable outcome (an output file, a
/// log line, an exit) with a deadline, polling every few milliseconds. All but the shipped-model tests use the
/// suite's tiny model (`.trainedModel`, trained once), named in a configuration file as the only task (`topic`).
@Suite(.serialized, .trainedModel, .tags(.integration), .timeLimit(.minutes(5)))
struct DaemonTests {
    /// Long enough for a loaded two-core machine; a daemon that works answers in milliseconds.
    static let outputTimeout = 20.0

    /// One document of the tiny model's corpus, different for every `seed`.
    static func document(_ seed: Int, label: String? = nil) -> String {
        let label = label ?? Corpus.labels[seed % Corpus.labels.count]
        return Corpus.document(label, seed: UInt64(seed) &+ 1000) + "document \(seed)\n"
    }

    /// Waits until every input's annotation exists and describes its current bytes.
    static func waitForAnnotations(
        _ inputs: [[UInt8]], timeout: Double = outputTimeout, interval: Duration = .milliseconds(5)
    )
        async -> [[UInt8]]
    {
        var missing = inputs
        _ = await eventually(timeout: timeout, interval: interval) {
            missing.removeAll(where: DaemonOutputs.isCurrent)
            return missing.isEmpty
        }
        return missing
    }

    /// Writes a probe into `stream` and waits for its annotation: then the catch-up scan has listed the stream.
    /// (The watcher lists every stream before it reads any event; the probe is answered either by that listing,
    /// which then came after the probe was written, or by an event, read after the listing.)
    static func waitUntilAnswering(
        _ world: DaemonWorld, stream: String, into inputs: inout InputLedger,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let probe = try world.write(
            document(999), stream, "ready-probe-\(UUID().uuidString.prefix(6)).txt", into: &inputs)
        try #require(
            await waitForAnnotations([probe]).isEmpty, "the daemon never answered a probe",
            sourceLocation: sourceLocation)
    }

    /// SIGTERM, and the promises: exit status 0 within 5 s, no temporary file left in `world`'s inbox.
    static func stopCleanly(
        _ daemon: DaemonProcess, _ world: DaemonWorld, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (result, seconds) = try await daemon.stop()
        #expect(result.exitedCleanly, "\(result)", sourceLocation: sourceLocation)
        #expect(seconds < 5, "SIGTERM took \(seconds) s", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("notice: stopped:"), "\(result.stderr)", sourceLocation: sourceLocation)
        let leftovers = DaemonOutputs.temporaryFiles(under: world.inbox)
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)", sourceLocation: sourceLocation)
    }

    // MARK: Every way a file arrives

    /// write+close, rename from outside the inbox, `cp`, `rsync` (`.name.XXXXXX` then rename), `tar -x` (mtime set
    /// after close), an editor's save (swap file, hidden temporary renamed over the original), a stream and a
    /// subfolder created a moment before their file, nested folders, and a file written slowly in pieces: each gets
    /// exactly one annotation of its final bytes; the editor's and rsync's own files get none.
    @Test(.serialized, arguments: WatchMode.allCases)
    func everyWayOfDroppingAFileGetsOneAnnotation(_ mode: WatchMode) async throws {
        let world = try DaemonWorld("drops-\(mode)", streams: ["alpha", "beta"], settings: mode.settings)
        let daemon = try world.start(poll: mode == .poll)
        try #require(await daemon.waitUntilReady(streams: ["alpha", "beta"]), "\(daemon.log)")
        var inputs = InputLedger()
        var expected: [(path: [UInt8], stream: String, relative: String)] = []

        // An editor's save replaces a document that already has its annotation.
        let draft = world.bytes("alpha", "draft.txt")
        _ = try world.write(Self.document(1), "alpha", "draft.txt", into: &inputs)
        try #require(await Self.waitForAnnotations([draft]).isEmpty, "first version never annotated\n\(daemon.log)")
        let firstVersion = try #require(DaemonOutputs.annotation(of: draft))
        try RawFS.write("swap file contents", to: world.path("alpha", ".draft.txt.swp"))
        try RawFS.write(Self.document(1), to: world.path("alpha", "draft.txt~"))
        try RawFS.write(Self.document(2), to: world.path("alpha", ".goutputstream-K2J9QZ"))
        try RawFS.rename(world.path("alpha", ".goutputstream-K2J9QZ"), world.path("alpha", "draft.txt"))
        try RawFS.unlink(world.path("alpha", ".draft.txt.swp"))
        inputs.record(draft)
        expected.append((draft, "alpha", "draft.txt"))

        // write + close
        expected.append(
            (try world.write(Self.document(3), "alpha", "written.txt", into: &inputs), "alpha", "written.txt"))

        // rename from outside the inbox (same file system)
        try RawFS.write(Self.document(4), to: world.outside + "/moved.txt")
        try RawFS.rename(world.outside + "/moved.txt", world.path("alpha", "moved.txt"))
        inputs.record(world.path("alpha", "moved.txt"))
        expected.append((world.bytes("alpha", "moved.txt"), "alpha", "moved.txt"))

        // cp
        try RawFS.write(Self.document(5), to: world.outside + "/copied.txt")
        try await runTool("/bin/cp", [world.outside + "/copied.txt", world.path("beta", "copied.txt")], in: world.base)
        inputs.record(world.path("beta", "copied.txt"))
        expected.append((world.bytes("beta", "copied.txt"), "beta", "copied.txt"))

        // rsync: writes `.synced.txt.XXXXXX` in the stream, then renames it.
        let rsync = try #require(findTool("rsync"), "rsync is not installed: `make deps` installs it")
        try RawFS.write(Self.document(6), to: world.outside + "/synced.txt")
        try await runTool(rsync, [world.outside + "/synced.txt", world.stream("beta") + "/"], in: world.base)
        inputs.record(world.path("beta", "synced.txt"))
        expected.append((world.bytes("beta", "synced.txt"), "beta", "synced.txt"))

        // tar -x: the archived mtime (2001) is set after the file is closed.
        let tar = try #require(findTool("tar"))
        try FileManager.default.createDirectory(atPath: world.outside + "/tarred", withIntermediateDirectories: true)
        try RawFS.write(Self.document(7), to: world.outside + "/tarred/untarred.txt")
        let old = Date(timeIntervalSince1970: 1_000_000_000)
        try FileManager.default.setAttributes(
            [.modificationDate: old], ofItemAtPath: world.outside + "/tarred/untarred.txt")
        try await runTool(
            tar, ["-cf", world.outside + "/archive.tar", "-C", world.outside + "/tarred", "untarred.txt"],
            in: world.base)
        try await runTool(tar, ["-xf", world.outside + "/archive.tar", "-C", world.stream("beta")], in: world.base)
        let untarred = world.bytes("beta", "untarred.txt")
        #expect(RawFS.status(untarred).map { Int($0.st_mtim.tv_sec) } == 1_000_000_000, "tar did not restore the mtime")
        inputs.record(untarred)
        expected.append((untarred, "beta", "untarred.txt"))

        // A stream created a moment ago, and a subfolder of a stream: their files are written at once.
        try RawFS.makeDirectory(world.stream("gamma"))
        expected.append((try world.write(Self.document(8), "gamma", "first.txt", into: &inputs), "gamma", "first.txt"))
        try RawFS.makeDirectory(world.path("beta", "sub"))
        expected.append(
            (try world.write(Self.document(9), "beta", "sub/inner.txt", into: &inputs), "beta", "sub/inner.txt"))

        // Nested folders.
        try FileManager.default.createDirectory(atPath: world.path("alpha", "a/b/c"), withIntermediateDirectories: true)
        expected.append(
            (try world.write(Self.document(10), "alpha", "a/b/c/deep.txt", into: &inputs), "alpha", "a/b/c/deep.txt"))

        // A slow writer: ten pieces ~100 ms apart on one open descriptor. No output may appear before the close.
        let slow = world.bytes("alpha", "slow.txt")
        let pieces = (0..<10).map { Self.document(100 + $0) }
        let fd = RawFS.withCPath(slow) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        try #require(fd >= 0)
        var earlyOutput = false
        for (index, piece) in pieces.enumerated() {
            try RawFS.writeAll(fd, Array(piece.utf8), path: slow)
            if index < pieces.count - 1 {
                // The writer's pace (~1 s in all), not a wait for the daemon; meanwhile, watch for an early output.
                _ = await eventually(timeout: 0.1, interval: .milliseconds(5)) {
                    earlyOutput = earlyOutput || RawFS.exists(DaemonOutputs.annotationPath(slow))
                    return false
                }
            }
        }
        close(fd)
        #expect(!earlyOutput, "the slow file was annotated before it was closed")
        inputs.record(slow)
        expected.append((slow, "alpha", "slow.txt"))

        let missing = await Self.waitForAnnotations(expected.map(\.path))
        #expect(missing.isEmpty, "no current annotation for \(missing.map(\.shown))\n\(daemon.log)")
        for (path, stream, relative) in expected {
            try DaemonOutputs.expectAnnotation(of: path, stream: stream, relativePath: relative)
        }
        let slowOutput = InputSnapshot.take(DaemonOutputs.annotationPath(slow))

        // The editor's save was a new version: annotated again, with the new hash.
        let secondVersion = try #require(DaemonOutputs.annotation(of: draft))
        #expect(try JSON.stableText(firstVersion) != JSON.stableText(secondVersion))
        // The clients' own files: no output of any kind.
        let alphaNames = Set(RawFS.names(in: world.stream("alpha")).map { String(decoding: $0, as: UTF8.self) })
        for name in ["draft.txt~", ".draft.txt.swp", ".goutputstream-K2J9QZ"] {
            #expect(!alphaNames.contains(name + ".stm.json") && !alphaNames.contains(name + ".stm.error.json"))
        }
        #expect(!alphaNames.contains(".goutputstream-K2J9QZ"), "the editor's temporary file was not renamed")
        let outputs = RawFS.files(under: world.inbox).filter { $0.ends(with: ".stm.json") }
        #expect(outputs.count == expected.count, "\(outputs.map(\.shown))")
        #expect(RawFS.files(under: world.inbox).allSatisfy { !$0.ends(with: ".stm.error.json") })

        // A round trip through a probe: anything still in flight for the inputs above would be done by now.
        let probe = try world.write(Self.document(200), "beta", "probe.txt", into: &inputs)
        #expect(await Self.waitForAnnotations([probe]).isEmpty)
        #expect(
            InputSnapshot.take(DaemonOutputs.annotationPath(slow)) == slowOutput, "the slow file's output was rewritten"
        )
        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)
        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }
}
