import Foundation
import STMMemory
import STMTesting
import Testing

@testable import STMDaemon

/// Stream memory in the ledger database: stored with the document's commit, reloaded exactly, pruned to the
/// window, reset by another process, and held in RAM for a bounded number of streams.
struct MemoryStoreTests {
    static let settings = MemorySettings(windowCapacity: 3, maximumAge: 1000)

    static func document(_ index: Int, time: Double) -> MemoryDocument {
        MemoryDocument(
            sha256: LedgerTests.sha(index + 1), name: "d\(index).txt", time: time,
            vector: [Float(index % 3), 1, Float(index) / 7], labels: ["topic": index % 2 == 0 ? "World" : "Sports"],
            topicLabelCount: 4, sentiment: Double(index % 5) / 5 - 0.4,
            // Every other document has a summary's highlights (stored as JSON); the rest store NULL.
            highlights: index % 2 == 0 ? [MemoryHighlight(text: "Lead \(index) – “quoted”", score: 0.9 - Double(index) / 100)] : [])
    }

    /// Applies documents to `memory`, committing each one's output and memory update in one transaction.
    static func commit(
        _ indices: Range<Int>, to memory: inout StreamMemory, epoch: Int = 0, stream: String = "news",
        fixture: LedgerTests.Fixture
    ) throws {
        for index in indices {
            let step = memory.apply(document(index, time: 1_700_000_000 + Double(index) * 100))
            var output = try fixture.prepared("d\(index).txt", hash: index + 1)
            output.memory = MemoryUpdate(stream: stream, epoch: epoch, memory: memory, entry: step.entry)
            try fixture.ledger.commit([output])
        }
    }

    @Test func storedMemoryReloadsExactlyAndKeepsOnlyTheWindow() throws {
        let fixture = try LedgerTests.Fixture()
        var memory = StreamMemory(settings: Self.settings)
        try Self.commit(0..<8, to: &memory, fixture: fixture)
        let stored = try #require(try fixture.ledger.loadMemory(stream: "news"))
        #expect(stored.epoch == 0)
        #expect(stored.entries.map(\.sequence) == [6, 7, 8], "only the window's rows remain")
        #expect(stored.entries.map(\.highlights.count) == [0, 1, 0])
        #expect(stored.memory(settings: Self.settings) == memory, "bit-for-bit the value in RAM")
        #expect(try fixture.ledger.memoryStreams().map(\.documents) == [8])
    }

    @Test func ageLimitPrunesRowsByEventTime() throws {
        let fixture = try LedgerTests.Fixture()
        var memory = StreamMemory(settings: MemorySettings(windowCapacity: 10, maximumAge: 250))
        try Self.commit(0..<6, to: &memory, fixture: fixture)
        let stored = try #require(try fixture.ledger.loadMemory(stream: "news"))
        // Latest event at +500 s: rows older than +250 s are gone.
        #expect(stored.entries.map(\.sequence) == [4, 5, 6])
        #expect(stored.entries == memory.window.entries)
    }

    @Test func aResetWinsOverUpdatesComputedBeforeIt() throws {
        let fixture = try LedgerTests.Fixture()
        var memory = StreamMemory(settings: Self.settings)
        try Self.commit(0..<3, to: &memory, fixture: fixture)
        let resetsBefore = try fixture.ledger.memoryResetCount()
        #expect(try fixture.ledger.resetMemory(stream: "news") == 3)
        #expect(try fixture.ledger.memoryResetCount() == resetsBefore + 1)
        // A document whose memory step ran before the reset (epoch 0) commits its output but not its memory.
        try Self.commit(3..<4, to: &memory, epoch: 0, fixture: fixture)
        let stored = try #require(try fixture.ledger.loadMemory(stream: "news"))
        #expect(stored.epoch == 1)
        #expect(stored.state.documentCount == 0 && stored.entries.isEmpty && stored.detectorValues == nil)
        // Updates of the new epoch are stored.
        var fresh = stored.memory(settings: Self.settings)
        try Self.commit(4..<5, to: &fresh, epoch: 1, fixture: fixture)
        #expect(try fixture.ledger.loadMemory(stream: "news")?.state.documentCount == 1)
    }

    @Test func cacheEvictsIdleStreamsAndReloadsThemUnchanged() throws {
        let fixture = try LedgerTests.Fixture()
        let cache = StreamMemoryCache(ledger: fixture.ledger, settings: Self.settings, capacity: 2)
        for (n, stream) in ["a", "b", "c"].enumerated() {
            var (memory, epoch) = try cache.checkout(stream: stream)
            try Self.commit(n * 10..<(n * 10 + 2), to: &memory, epoch: epoch, stream: stream, fixture: fixture)
            cache.checkin(stream: stream, memory: memory, epoch: epoch)
        }
        #expect(cache.count == 2, "the least recently used stream went to the database")
        #expect(cache.evictions == 1)
        let reloaded = try cache.checkout(stream: "a")
        #expect(reloaded.memory.state.documentCount == 2)
        #expect(reloaded.memory.window.entries.map(\.sequence) == [1, 2])
        #expect(cache.loads == 4)
    }

    @Test func aStreamWithACommitPendingIsNotEvicted() throws {
        let fixture = try LedgerTests.Fixture()
        let cache = StreamMemoryCache(ledger: fixture.ledger, settings: Self.settings, capacity: 1)
        var (memory, epoch) = try cache.checkout(stream: "a")
        _ = memory.apply(Self.document(0, time: 0))
        cache.checkin(stream: "a", memory: memory, epoch: epoch)
        cache.beginCommit(stream: "a")
        let other = try cache.checkout(stream: "b")
        cache.checkin(stream: "b", memory: other.memory, epoch: other.epoch)
        // "a" is pending (its update is not in the database yet): "b" goes instead.
        #expect(try cache.checkout(stream: "a").memory.state.documentCount == 1)
        cache.committed(stream: "a")
        (memory, epoch) = try cache.checkout(stream: "a")
        #expect(memory.state.documentCount == 1)
    }

    @Test func cacheNoticesAResetMadeByAnotherProcess() throws {
        let fixture = try LedgerTests.Fixture()
        let cache = StreamMemoryCache(ledger: fixture.ledger, settings: Self.settings, capacity: 4)
        try cache.noticeResets()  // the pipeline's call before each batch
        var (memory, epoch) = try cache.checkout(stream: "news")
        try Self.commit(0..<2, to: &memory, epoch: epoch, fixture: fixture)
        cache.checkin(stream: "news", memory: memory, epoch: epoch)
        #expect(try cache.checkout(stream: "news").memory.state.documentCount == 2)
        // `stmd memory reset` through its own connection.
        let other = try Ledger(stateDirectory: fixture.stateDirectory)
        try other.resetMemory(stream: "news")
        #expect(try cache.checkout(stream: "news").memory.state.documentCount == 2, "noticed at the next batch, not mid-batch")
        try cache.noticeResets()
        let after = try cache.checkout(stream: "news")
        #expect(after.epoch == 1)
        #expect(after.memory.state.documentCount == 0 && after.memory.window.isEmpty)
    }

    /// A stream with no ledger row left (its folder removed or renamed) and no change since the retention cutoff has
    /// its memory deleted by `prune`; a stream whose documents are still in the ledger keeps it however old, and a
    /// daemon's copy in RAM is dropped before its next document.
    @Test func pruneForgetsTheMemoryOfAbandonedStreams() throws {
        let fixture = try LedgerTests.Fixture()
        let cache = StreamMemoryCache(ledger: fixture.ledger, settings: Self.settings, capacity: 4)
        try cache.noticeResets()
        var news = StreamMemory(settings: Self.settings)
        try Self.commit(0..<3, to: &news, fixture: fixture)  // ledger rows in stream "news"
        var (gone, epoch) = try cache.checkout(stream: "gone")
        try Self.commit(3..<5, to: &gone, epoch: epoch, stream: "gone", fixture: fixture)  // memory only
        cache.checkin(stream: "gone", memory: gone, epoch: epoch)

        let soon = try fixture.ledger.prune(retention: RetentionPolicy(maximumAge: 30 * 86_400, maximumMissingPerStream: 100), now: Date())
        #expect(soon.forgottenMemories == 0, "changed within the retention period")
        let later = Date().addingTimeInterval(31 * 86_400)
        let report = try fixture.ledger.prune(retention: RetentionPolicy(maximumAge: 30 * 86_400, maximumMissingPerStream: 100), now: later)
        #expect(report.forgottenMemories == 1)
        #expect(try fixture.ledger.loadMemory(stream: "gone") == nil)
        #expect(try fixture.ledger.loadMemory(stream: "news")?.state.documentCount == 3)
        #expect(try fixture.ledger.memoryStreams().map(\.stream) == ["news"])
        try cache.noticeResets()
        #expect(try cache.checkout(stream: "gone").memory.state.documentCount == 0, "the RAM copy is not resurrected")
    }

    @Test func sequencerRunsEachStreamInTicketOrder() async throws {
        let sequencer = StreamSequencer()
        let order = OrderLog()
        // Tickets handed to three threads out of order; 1 and 4 never reach the memory step.
        let plan: [[UInt64]] = [[5, 2], [3, 0], [6]]
        sequencer.pass(stream: "s", ticket: 1)
        sequencer.pass(stream: "s", ticket: 4)
        await withTaskGroup(of: Void.self) { group in
            for tickets in plan {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        Thread {
                            for ticket in tickets.sorted() {
                                sequencer.waitForTurn(stream: "s", ticket: ticket)
                                order.append(ticket)
                                sequencer.pass(stream: "s", ticket: ticket)
                            }
                            continuation.resume()
                        }.start()
                    }
                }
            }
        }
        #expect(order.values == [0, 2, 3, 5, 6])
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [UInt64] = []
    func append(_ value: UInt64) { lock.withLock { stored.append(value) } }
    var values: [UInt64] { lock.withLock { stored } }
}
