import Foundation
import STMMemory

/// The stream memories held in RAM: at most `capacity` streams, the least recently used evicted to the database
/// (they are already there: every change is committed with its document) and reloaded on demand.
///
/// A stream is never evicted while one of its documents is between its memory step and its commit (`pending`),
/// since reloading it then would miss that document. `noticeResets()` reads the database's reset counter (the
/// pipeline calls it once per worker batch, before the batch's memory steps: one read transaction per batch instead
/// of one per document); when `stmd memory reset` (or a prune of abandoned streams) has run since, streams whose
/// epoch changed or whose row is gone are dropped and reloaded (empty). A reset that lands while a batch is in
/// flight is the same race as one that lands while a document is: the epoch guard in `Ledger.store` drops the
/// in-flight updates, and the next batch starts from the reset memory.
///
/// Callers hold the stream's turn (`StreamSequencer`), so one stream is never checked out twice at once; the lock
/// guards the dictionary against other streams' workers.
final class StreamMemoryCache: @unchecked Sendable {
    struct Slot {
        var memory: StreamMemory
        var epoch: Int
        var pending = 0
        var lastUse: UInt64 = 0
    }

    let capacity: Int
    let settings: MemorySettings
    private let ledger: Ledger
    private let lock = NSLock()
    // Guarded by `lock`.
    private var slots: [String: Slot] = [:]
    private var useCounter: UInt64 = 0
    private var seenResets: Int?
    private(set) var loads = 0
    private(set) var evictions = 0

    init(ledger: Ledger, settings: MemorySettings, capacity: Int) {
        self.ledger = ledger
        self.settings = settings
        self.capacity = max(1, capacity)
    }

    var count: Int { lock.withLock { slots.count } }

    /// Reads the reset counter and drops the streams that a reset or a prune changed since the last call.
    func noticeResets() throws {
        let resets = try ledger.memoryResetCount()
        let changed = lock.withLock {
            defer { seenResets = resets }
            return seenResets != nil && seenResets != resets
        }
        guard changed else { return }
        for (name, slot) in lock.withLock({ slots.map { ($0.key, $0.value) } }) {
            // A reset changes the epoch; a prune of an abandoned stream deletes its row. A slot without a row that
            // counted nothing, or whose first document is still on its way to the database, is kept.
            let stored = try ledger.storedMemoryEpoch(stream: name)
            let forgotten = stored == nil && slot.memory.state.documentCount > 0 && slot.pending == 0
            if forgotten || stored.map({ $0 != slot.epoch }) == true {
                _ = lock.withLock { slots.removeValue(forKey: name) }
            }
        }
    }

    /// The stream's memory and epoch, from RAM or the database.
    func checkout(stream: String) throws -> (memory: StreamMemory, epoch: Int) {
        if let slot = lock.withLock({ slots[stream] }) { return (slot.memory, slot.epoch) }
        let stored = try ledger.loadMemory(stream: stream)
        let memory = stored?.memory(settings: settings) ?? StreamMemory(settings: settings)
        let epoch = stored?.epoch ?? 0
        lock.withLock {
            loads += 1
            slots[stream] = Slot(memory: memory, epoch: epoch)
        }
        return (memory, epoch)
    }

    /// Stores the stream's memory after its step (or puts the previous value back when the document's output
    /// failed).
    func checkin(stream: String, memory: StreamMemory, epoch: Int) {
        lock.withLock {
            useCounter += 1
            var slot = slots[stream] ?? Slot(memory: memory, epoch: epoch)
            slot.memory = memory
            slot.epoch = epoch
            slot.lastUse = useCounter
            slots[stream] = slot
            evictIfNeeded()
        }
    }

    /// A document of the stream is on its way to its commit: keep the stream in RAM until `committed`.
    func beginCommit(stream: String) {
        lock.withLock { slots[stream]?.pending += 1 }
    }

    /// One of the stream's documents has been committed (or has failed).
    func committed(stream: String) {
        lock.withLock {
            if var slot = slots[stream] {
                slot.pending = max(0, slot.pending - 1)
                slots[stream] = slot
            }
            evictIfNeeded()
        }
    }

    /// Drops the least recently used streams with nothing pending, down to `capacity`. Under `lock`.
    private func evictIfNeeded() {
        guard slots.count > capacity else { return }
        let idle = slots.filter { $0.value.pending == 0 }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (name, _) in idle.prefix(slots.count - capacity) {
            slots[name] = nil
            evictions += 1
        }
    }
}
