import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Renames staged files into the inbox on a thread of its own, in batches, while the test kills and restarts the
/// daemon. `@unchecked Sendable`: the mutable fields are read and written under `lock`.
final class Dropper: @unchecked Sendable {
    private let lock = NSLock()
    private var droppedCount = 0
    private var isFinished = false
    private var failure: String?

    var dropped: Int { lock.withLock { droppedCount } }
    var finished: Bool { lock.withLock { isFinished } }
    var error: String? { lock.withLock { failure } }

    /// `moves` in order, `batch` at a time, a pause of `pause` microseconds between batches: the producer's pace.
    func start(_ moves: [(from: String, to: String)], batch: Int, pause: UInt32) {
        Thread { [self] in
            for (index, move) in moves.enumerated() {
                if Glibc.rename(move.from, move.to) != 0 {
                    let code = errno
                    lock.withLock { failure = "rename \(move.from) → \(move.to): \(String(cString: strerror(code)))" }
                    break
                }
                lock.withLock { droppedCount += 1 }
                if (index + 1) % batch == 0 { usleep(pause) }
            }
            lock.withLock { isFinished = true }
        }.start()
    }
}

extension DaemonTests {
    /// 2,000 documents over 4 streams are dropped (renamed in from outside the inbox) while the daemon runs; it is
    /// killed with SIGKILL 4 times at seeded random moments — twice after a random amount of progress (mid-stream),
    /// twice a random few milliseconds after a start (recovery, catch-up scan) — and restarted on the same state.
    /// In the end every input has exactly one complete, valid annotation (it parses, its hash is the file's), there is
    /// no error output and no temporary file, and the ledger agrees (`stmd status`: 500 done per stream; SQLite: one
    /// `done` row per document, none left `committed`, every row committed once). "Written once": no document was
    /// committed twice (`attempts` = 1), and each annotation is, apart from the run-dependent keys and the daemon's
    /// own sections, byte for byte what a single clean `stmd annotate` of the same file gives.
    /// `object` without the probabilities (`score`, `scores`) of its task results, nor the label they choose.
    static func withoutScores(_ object: [String: Any]) -> [String: Any] {
        var copy = object
        if let tasks = object["tasks"] as? [String: Any] {
            copy["tasks"] = tasks.mapValues { value -> Any in
                guard var result = value as? [String: Any] else { return value }
                result["score"] = nil
                result["scores"] = nil
                result["label"] = nil
                return result
            }
        }
        return copy
    }

    /// The largest difference between the two objects' probabilities of the same task and label.
    static func largestScoreGap(_ one: [String: Any], _ two: [String: Any]) -> Double {
        var gap = 0.0
        let (first, second) = (one["tasks"] as? [String: Any] ?? [:], two["tasks"] as? [String: Any] ?? [:])
        for (task, value) in first {
            let a = (value as? [String: Any])?["scores"] as? [String: Any] ?? [:]
            let b = (second[task] as? [String: Any])?["scores"] as? [String: Any] ?? [:]
            for (label, probability) in a {
                let x = (probability as? NSNumber)?.doubleValue ?? .nan
                let y = (b[label] as? NSNumber)?.doubleValue ?? .nan
                gap = max(gap, x.isNaN || y.isNaN ? .infinity : abs(x - y))
            }
        }
        return gap
    }

    @Test func killedAtRandomMomentsEveryDocumentEndsWithExactlyOneCompleteOutput() async throws {
        let streams = (0..<4).map { "s\($0)" }
        let perStream = 500
        let total = streams.count * perStream
        let world = try DaemonWorld("crash", streams: streams)
        let staging = world.outside + "/staging"
        try RawFS.makeDirectory(staging)

        // Every document written in full outside the inbox first: dropping one is a single rename.
        var generator = Corpus.Generator(seed: 0x5EED_2024)
        var moves: [(from: String, to: String)] = []
        var inputs: [(path: [UInt8], stream: String, name: String)] = []
        let texts = (0..<97).map { Self.document($0) }
        for (s, stream) in streams.enumerated() {
            for index in 0..<perStream {
                let number = s * perStream + index
                let name = "d\(number).txt"
                try RawFS.write(texts[number % texts.count] + "number \(number)\n", to: staging + "/" + name)
                moves.append((staging + "/" + name, world.path(stream, name)))
                inputs.append((world.bytes(stream, name), stream, name))
            }
        }
        for i in stride(from: moves.count - 1, to: 0, by: -1) { moves.swapAt(i, generator.below(i + 1)) }

        let annotated = { streams.reduce(0) { $0 + DaemonOutputs.annotationCount(in: world.stream($1)) } }
        let dropper = Dropper()
        var kills: [String] = []
        var logs: [String] = []
        // ~2,000 files in ~4 s: the drops span every kill and restart.
        dropper.start(moves, batch: 10, pause: 20_000)
        for round in 0..<4 {
            let daemon = try world.start()
            let startCount = annotated()
            if round % 2 == 0 {
                // Mid-stream: once a random number of further documents is published.
                let target = min(total - 1, startCount + 150 + generator.below(300))
                let reached = await eventually(timeout: 30, interval: .milliseconds(2)) {
                    annotated() >= target || (dropper.finished && annotated() >= total)
                }
                #expect(reached, "round \(round): stuck at \(annotated()) of \(target)\n\(daemon.log)")
            } else {
                // During start-up: the kill moment itself is the random variable here, not a wait for an outcome.
                try await Task.sleep(for: .milliseconds(20 + generator.below(230)))
            }
            let result = try await daemon.kill()
            #expect(result.signalled && result.status == SIGKILL, "\(result)")
            kills.append("round \(round): killed at \(annotated()) annotated, \(dropper.dropped) dropped")
            logs.append(result.stderr)
        }

        let daemon = try world.start()
        let finished = await eventually(timeout: 60, interval: .milliseconds(20)) {
            dropper.finished && annotated() >= total
        }
        try #require(dropper.error == nil, "\(dropper.error!)")
        let stale = inputs.filter { !DaemonOutputs.isCurrent($0.path) }
        try #require(
            finished && stale.isEmpty,
            "\(annotated()) of \(total) annotated, \(stale.count) without a current annotation\n\(kills)\n\(daemon.log)"
        )
        try await Self.stopCleanly(daemon, world)
        print("crash test: " + kills.joined(separator: "; "))
        let recoveries = logs.compactMap { $0.split(separator: "\n").first { $0.contains("recovery:") } }
        print("crash test: recovery reports: \(recoveries)")
        #expect(
            kills.contains { !$0.contains(" killed at 0 ") && !$0.contains(" killed at \(total) ") },
            "no kill happened mid-work: \(kills)")

        // Exactly one complete, valid annotation per input; nothing else.
        var outputs: [String: [String: Any]] = [:]
        for input in inputs {
            outputs[input.name] = try DaemonOutputs.expectAnnotation(
                of: input.path, stream: input.stream, relativePath: input.name)
        }
        for stream in streams {
            let names = RawFS.names(in: world.stream(stream))
            #expect(names.count == 2 * perStream, "\(stream): \(names.count) entries, expected inputs + annotations")
        }
        #expect(DaemonOutputs.temporaryFiles(under: world.inbox).isEmpty)

        // The same bytes as one clean run, apart from timings and the daemon's sections (stream, version, path).
        let clean = try await Stmd.run(
            ["annotate", "--models", world.fixture.models, "--task", "topic=\(world.fixture.modelName)"]
                + inputs.map { String(decoding: $0.path, as: UTF8.self) },
            in: world.base, timeout: 120)
        try #require(clean.exitedCleanly && clean.stdoutLines.count == total, "\(clean.stderr)")
        var differing: [String] = []
        var materially: [String] = []
        var largestScoreGap = 0.0
        for line in clean.stdoutLines {
            let expected = try JSON.object(line)
            let name = try #require((expected["input"] as? [String: Any])?["name"] as? String)
            var written = try #require(outputs[name], "no output for \(name)")
            written["stream"] = nil
            written["daemon"] = nil
            written["memory"] = nil
            guard try JSON.stableText(written) != JSON.stableText(expected) else { continue }
            differing.append(name)
            // Beyond the probabilities' last digits (and so, in a near tie, the label), the objects must be the same:
            // the input's hash, size, characters and tokens, the models, the schema.
            let gap = Self.largestScoreGap(written, expected)
            largestScoreGap = max(largestScoreGap, gap)
            if try JSON.stableText(Self.withoutScores(written)) != JSON.stableText(Self.withoutScores(expected))
                || gap > 0.01
            {
                materially.append(name)
            }
        }
        #expect(materially.isEmpty, "\(materially.count) annotations differ from a clean run: \(materially.prefix(10))")
        #expect(
            differing.isEmpty,
            "\(differing.count) of \(total) differ (largest gap \(largestScoreGap)): \(differing.prefix(5))")

        // Memory counted every document exactly once, SIGKILLs and all.
        for stream in streams {
            let memory = try await Self.memoryShow(world, stream)
            #expect(memory["documents"] as? Int == perStream, "\(stream): memory counted \(memory["documents"] ?? "nil")")
        }

        // The ledger agrees.
        let status = try await world.status()
        #expect(!status.running)
        for stream in streams {
            let entry = status.streams[stream]
            #expect(entry?["done"] as? Int == perStream, "\(stream): \(String(describing: entry))")
            #expect(entry?["failed"] as? Int == 0 && entry?["retrying"] as? Int == 0, "\(String(describing: entry))")
        }
        if let sqlite = findTool("sqlite3") {
            let query = try await runTool(
                sqlite,
                [
                    "-readonly", world.state + "/ledger.sqlite",
                    "SELECT status, COUNT(*), MIN(attempts), MAX(attempts), "
                        + "(SELECT COUNT(*) FROM pending_output) FROM document GROUP BY status",
                ], in: world.base)
            #expect(query.stdout == "done|\(total)|1|1|0\n", "ledger rows by status (and pending outputs): \(query.stdout)")
        } else {
            print("crash test: sqlite3 is not installed; the ledger was checked through `stmd status` only")
        }
    }
}
