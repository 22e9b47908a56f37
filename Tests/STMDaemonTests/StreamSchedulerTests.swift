import STMDaemon
import Testing

struct StreamSchedulerTests {
    @Test func takesStreamsInTurnSoABurstDoesNotStarveAnotherStream() {
        let scheduler = StreamScheduler<Int>(capacity: 10_000)
        for i in 0..<5_000 { scheduler.submit(i, key: "a/\(i)", stream: "a") }
        scheduler.submit(-1, key: "b/only", stream: "b")
        let first = scheduler.next()!
        let second = scheduler.next()!
        #expect([first.stream, second.stream].sorted() == ["a", "b"])
        #expect(first.item == -1 || second.item == -1)
    }

    @Test func deduplicatesQueuedAndInProgressKeys() {
        let scheduler = StreamScheduler<Int>(capacity: 10)
        #expect(scheduler.submit(1, key: "k", stream: "s") == .queued)
        #expect(scheduler.submit(1, key: "k", stream: "s") == .duplicate)
        let taken = scheduler.next()!
        scheduler.finish(key: taken.key)
        #expect(scheduler.submit(1, key: "k", stream: "s") == .queued)
    }

    /// A file that changes again while its previous version is in progress must run once more afterwards (its first
    /// output can be visible before the run finishes, and the change's event would otherwise be dropped).
    @Test func aKeySubmittedWhileInProgressRunsAgainAfterwards() {
        let scheduler = StreamScheduler<Int>(capacity: 10)
        #expect(scheduler.submit(1, key: "k", stream: "s") == .queued)
        let taken = scheduler.next()!
        #expect(scheduler.submit(2, key: "k", stream: "s") == .deferred)
        #expect(scheduler.submit(3, key: "k", stream: "s") == .deferred)  // the latest event wins
        #expect(scheduler.queuedCounts()["s"] == 0)
        scheduler.finish(key: taken.key)
        #expect(scheduler.queuedCounts()["s"] == 1)
        let again = scheduler.next()!
        #expect(again.key == "k" && again.item == 3)
        scheduler.finish(key: again.key)
        #expect(scheduler.progress.idle)
    }

    @Test func numberedItemsCountPerStream() {
        let scheduler = StreamScheduler<Int>(capacity: 10)
        for i in 0..<3 {
            scheduler.submit(i, key: "a\(i)", stream: "a")
            scheduler.submit(i, key: "b\(i)", stream: "b")
        }
        let taken = scheduler.nextNumbered(maximum: 10)
        #expect(taken.filter { $0.stream == "a" }.map(\.ticket) == [0, 1, 2])
        #expect(taken.filter { $0.stream == "b" }.map(\.ticket) == [0, 1, 2])
        scheduler.submit(9, key: "a9", stream: "a")
        #expect(scheduler.nextNumbered(maximum: 10).map(\.ticket) == [3])
    }

    @Test func fullQueueRefusesAndAsksForARescanOnceDrained() {
        let scheduler = StreamScheduler<Int>(capacity: 4)
        for i in 0..<4 { #expect(scheduler.submit(i, key: "\(i)", stream: "s") == .queued) }
        #expect(scheduler.submit(4, key: "4", stream: "s") == .full)
        #expect(scheduler.streamsToRescan().isEmpty)  // still full
        for _ in 0..<3 { scheduler.finish(key: scheduler.next()!.key) }
        #expect(scheduler.streamsToRescan() == ["s"])
        #expect(scheduler.streamsToRescan().isEmpty)  // reported once
        #expect(scheduler.queuedCounts() == ["s": 1])
    }

    @Test func removingAStreamDropsItsQueue() {
        let scheduler = StreamScheduler<Int>(capacity: 10)
        scheduler.submit(1, key: "a1", stream: "a")
        scheduler.submit(2, key: "b1", stream: "b")
        scheduler.removeStream("a")
        #expect(scheduler.next()?.stream == "b")
        #expect(scheduler.submit(1, key: "a1", stream: "a") == .queued)
    }

    @Test func closeWakesBlockedWorkers() async {
        let scheduler = StreamScheduler<Int>(capacity: 10)
        let worker = Task.detached { scheduler.next() == nil }
        try? await Task.sleep(for: .milliseconds(20))
        scheduler.close()
        #expect(await worker.value)
        #expect(scheduler.submit(1, key: "x", stream: "s") == .closed)
    }
}

/// What a drained scheduler keeps: nothing of the items it handed out.
struct StreamSchedulerReleaseTests {
    final class Payload: Sendable {}

    @Test func itemsTakenFromADrainedStreamAreReleased() {
        let scheduler = StreamScheduler<Payload>(capacity: 1_000)
        weak var first: Payload?
        weak var last: Payload?
        do {
            let payloads = (0..<50).map { _ in Payload() }
            first = payloads.first
            last = payloads.last
            for (index, payload) in payloads.enumerated() { scheduler.submit(payload, key: "k\(index)", stream: "s") }
        }
        for _ in 0..<50 {
            let taken = scheduler.next()!
            scheduler.finish(key: taken.key)
        }
        #expect(first == nil, "the first item taken is still held by the drained queue")
        #expect(last == nil)
        #expect(scheduler.progress.idle)
    }
}
