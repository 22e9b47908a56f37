import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Fair scheduling across streams and backpressure.
extension DaemonTests {
    /// 3,000 documents queued in stream `a` (written before the start, so the catch-up scan queues them all;
    /// `queue_capacity` is raised so the whole backlog is held at once), then — once 500 are done, so the scan is
    /// long over and `a` is in full flow — one file dropped into `b`.
    ///
    /// The bound: `b`'s annotation appears while at most 250 more of `a`'s are published (under 10% of the
    /// backlog; without fairness it would be all ~2,500 left). Scheduling accounts for at most 2 of them: round-robin
    /// across streams makes `b`'s document the next one taken once it is queued, and each of the 2 workers finishes
    /// the one it holds. The rest is the time `b`'s file takes to reach the queue and be published while `a` runs at
    /// full speed: the watcher thread also reads the events of the daemon's own work (every published document
    /// makes about ten in its stream: the input's open/close, the temporary file's create/open/close-write, the
    /// rename, the folder opened twice), it shares 2 cores with 2 busy workers, and this is a debug build. Measured
    /// here: 20–150 ms, i.e. 14–110 of `a`'s documents; the bound leaves twice that. Counting documents rather than
    /// milliseconds keeps the bound meaningful on a slower or busier machine, where `a` slows down too.
    @Test func aFileInAnotherStreamIsAnsweredWhileThousandsAreQueued() async throws {
        let backlog = 3000
        let bound = 250
        let world = try DaemonWorld("fairness", streams: ["a", "b"], settings: "queue_capacity = 10000\n")
        let texts = (0..<50).map { Self.document($0) }
        for index in 0..<backlog {
            try RawFS.write(
                Array((texts[index % texts.count] + "\(index)\n").utf8), to: world.bytes("a", "f\(index).txt"))
        }
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["a", "b"]), "\(daemon.log)")
        try #require(
            await eventually(timeout: Self.outputTimeout) {
                DaemonOutputs.annotationCount(in: world.stream("a")) >= 500
            },
            "\(daemon.log)")

        var inputs = InputLedger()
        let before = DaemonOutputs.annotationCount(in: world.stream("a"))
        let dropped = ContinuousClock.now
        let answer = try world.write(Self.document(1), "b", "answer.txt", into: &inputs)
        let answered = await eventually(timeout: Self.outputTimeout, interval: .milliseconds(1)) {
            RawFS.exists(DaemonOutputs.annotationPath(answer))
        }
        let latency = ContinuousClock.now - dropped
        let after = DaemonOutputs.annotationCount(in: world.stream("a"))
        try #require(answered, "\(daemon.log)")
        try DaemonOutputs.expectAnnotation(of: answer, stream: "b")
        let published = after - before
        #expect(published <= bound, "\(published) of a's documents were published before b's one (bound \(bound))")
        #expect(after < backlog, "b was answered only after a was done")
        // For the record (Swift Testing prints it): the measured figures.
        print(
            "fairness: b answered in \(latency) while \(published) of a's documents were published; "
                + "a: \(before) done at the drop, \(after) at the answer, of \(backlog)")
        inputs.expectUnchanged()
        try await Self.stopCleanly(daemon, world)
    }

    /// Backpressure must not cost throughput: 300 documents already in one stream are annotated with
    /// `queue_capacity = 20` about as fast as with a queue that holds them all. Both runs happen here, one after the
    /// other, so a loaded machine slows both: the check is their ratio, not a time. The bound (3× + 2 s) leaves room for
    /// load that changes between the runs; what it catches is a stall per refill (300 / 20 = 15 refills, each waiting
    /// for a rescan or a poll interval, would take 15 s and more).
    @Test func aBacklogLargerThanItsQueueIsProcessedAtFullSpeed() async throws {
        let backlog = 300
        var seconds: [Double] = []
        for capacity in [1000, 20] {
            let world = try DaemonWorld("backlog-\(capacity)", streams: ["a"], settings: "queue_capacity = \(capacity)\n")
            let inputs = try (0..<backlog).map { index in
                let path = world.bytes("a", "f\(index).txt")
                try RawFS.write(Array((Self.document(index)).utf8), to: path)
                return path
            }
            let daemon = try world.start()
            try #require(await daemon.waitUntilReady(streams: ["a"]), "\(daemon.log)")
            let started = ContinuousClock.now
            let done = await eventually(timeout: 60, interval: .milliseconds(20)) {
                DaemonOutputs.annotationCount(in: world.stream("a")) >= backlog
            }
            let elapsed = ContinuousClock.now - started
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            let count = DaemonOutputs.annotationCount(in: world.stream("a"))
            #expect(done, "queue_capacity \(capacity): \(count) of \(backlog) annotated after 60 s")
            if done { for input in inputs { try DaemonOutputs.expectAnnotation(of: input, stream: "a") } }
            try await Self.stopCleanly(daemon, world)
        }
        print("backlog of \(backlog): \(seconds[0]) s with a queue that holds it, \(seconds[1]) s with queue_capacity = 20")
        #expect(seconds[1] <= 3 * seconds[0] + 2, "queue_capacity = 20 took \(seconds[1]) s against \(seconds[0]) s")
    }
}
