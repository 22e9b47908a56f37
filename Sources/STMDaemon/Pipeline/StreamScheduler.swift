import Glibc

/// Work waiting to be processed, one bounded queue per stream, handed to workers round-robin across streams so
/// a burst in one stream cannot starve another: with thousands of files queued in stream A, a file dropped into
/// stream B is next-but-one at worst.
///
/// Backpressure instead of unbounded memory: a stream's queue holds at most `capacity` items. When it is full, a
/// new item is not kept; the stream is marked `overflowed`, and once its queue has drained below half the owner
/// asks the watcher to rescan it (the files are still on disk, so nothing is lost — the rescan finds them again).
/// Items are deduplicated by key while queued or in progress.
///
/// Thread-safe: a mutex and a condition variable; workers block in `next()` until work arrives or `close()`.
public final class StreamScheduler<Item: Sendable>: @unchecked Sendable {
    public let capacity: Int
    private var queues: [String: [(key: String, item: Item)]] = [:]
    private var heads: [String: Int] = [:]
    /// Streams in round-robin order; `cursor` is the next to serve.
    private var order: [String] = []
    private var cursor = 0
    private var queuedKeys = Set<String>()
    private var inProgress = Set<String>()
    private var finished = 0
    /// Items offered again while their key was in progress (a new version written while the old one was being
    /// published): queued once that key finishes, so the newer write is not lost until the next reconciliation.
    private var offeredWhileInProgress: [String: (item: Item, stream: String)] = [:]
    private var overflowed = Set<String>()
    private var closed = false
    /// Items taken per stream so far (`nextNumbered`); never reset, so numbers stay unique while the daemon runs.
    private var tickets: [String: UInt64] = [:]
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    public init(capacity: Int) {
        precondition(capacity >= 1, "StreamScheduler: capacity \(capacity) must be at least 1")
        self.capacity = capacity
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    public enum Admission: Equatable, Sendable {
        case queued
        /// Already queued or being processed: nothing to do.
        case duplicate
        /// The key is in progress: the item is queued again when that run finishes.
        case deferred
        /// The stream's queue is full: not kept; the stream will need a rescan (see `streamsToRescan`).
        case full
        case closed
    }

    /// Offers an item; never blocks.
    @discardableResult
    public func submit(_ item: Item, key: String, stream: String) -> Admission {
        lock()
        defer { unlock() }
        if closed { return .closed }
        if queuedKeys.contains(key) { return .duplicate }
        if inProgress.contains(key) {
            offeredWhileInProgress[key] = (item, stream)
            return .deferred
        }
        return enqueue(item, key: key, stream: stream)
    }

    /// Under the lock.
    private func enqueue(_ item: Item, key: String, stream: String) -> Admission {
        if queuedCount(of: stream) >= capacity {
            overflowed.insert(stream)
            return .full
        }
        if queues[stream] == nil { order.append(stream) }
        // In place: a copy taken out of the dictionary and stored back would copy the whole queue on every append.
        queues[stream, default: []].append((key, item))
        queuedKeys.insert(key)
        pthread_cond_signal(&condition)
        return .queued
    }

    /// The next item, taking streams in turn; blocks while there is none. Nil once closed (queued work is
    /// abandoned at close: the ledger and the next start-up scan pick it up).
    public func next() -> (key: String, stream: String, item: Item)? {
        lock()
        defer { unlock() }
        while true {
            if closed { return nil }
            if let taken = takeNext() { return taken }
            pthread_cond_wait(&condition, &mutex)
        }
    }

    /// Up to `maximum` items, taking streams in turn (a burst is processed in batches, fairly); blocks while there
    /// is none; empty once closed.
    public func next(maximum: Int) -> [(key: String, stream: String, item: Item)] {
        lock()
        defer { unlock() }
        while true {
            if closed { return [] }
            var taken: [(key: String, stream: String, item: Item)] = []
            while taken.count < maximum, let item = takeNext() { taken.append(item) }
            if !taken.isEmpty { return taken }
            pthread_cond_wait(&condition, &mutex)
        }
    }

    /// Like `next(maximum:)`, each item with its number among the items taken from its stream so far (0, 1, 2, …):
    /// stream memory applies a stream's documents in this order whichever worker took them (`StreamSequencer`).
    public func nextNumbered(maximum: Int) -> [(key: String, stream: String, item: Item, ticket: UInt64)] {
        lock()
        var taken: [(key: String, stream: String, item: Item, ticket: UInt64)] = []
        while !closed {
            while taken.count < maximum, let item = takeNext() {
                let ticket = tickets[item.stream] ?? 0
                tickets[item.stream] = ticket + 1
                taken.append((item.key, item.stream, item.item, ticket))
            }
            if !taken.isEmpty { break }
            pthread_cond_wait(&condition, &mutex)
        }
        let drained = closed ? [] : takeDrained()
        unlock()
        if let onDrained { for stream in drained { onDrained(stream) } }
        return taken
    }

    /// Called (outside the lock, on the worker that took the items) when a stream that overflowed has drained
    /// below half its capacity: the daemon rescans it at once, so backpressure does not wait for a timer.
    public var onDrained: (@Sendable (String) -> Void)?

    /// Overflowed streams now below half their capacity, removed from the overflowed set. Call with the lock held.
    private func takeDrained() -> [String] {
        guard !overflowed.isEmpty else { return [] }
        let ready = overflowed.filter { queuedCount(of: $0) < capacity / 2 + 1 }
        overflowed.subtract(ready)
        return ready.sorted()
    }

    /// Marks a key taken by `next()` as finished, so it may be queued again later.
    public func finish(key: String) {
        lock()
        inProgress.remove(key)
        if inProgress.isEmpty && inProgress.capacity > 1024 { inProgress = [] }
        finished += 1
        if let again = offeredWhileInProgress.removeValue(forKey: key), !closed {
            _ = enqueue(again.item, key: key, stream: again.stream)
        }
        unlock()
    }

    /// What the watchdog needs to tell progress from a stall: items finished so far (ever growing), and whether
    /// nothing is queued or in progress.
    public var progress: (finished: Int, idle: Bool) {
        lock()
        defer { unlock() }
        return (finished, inProgress.isEmpty && queuedKeys.isEmpty)
    }

    /// Streams that overflowed and have drained below half their capacity: rescan them now (each is reported once).
    public func streamsToRescan() -> [String] {
        lock()
        defer { unlock() }
        return takeDrained()
    }

    /// Drops a stream's queued items (its folder went away).
    public func removeStream(_ stream: String) {
        lock()
        defer { unlock() }
        if let queue = queues[stream] {
            for entry in queue[(heads[stream] ?? 0)...] { queuedKeys.remove(entry.key) }
        }
        queues[stream] = nil
        heads[stream] = nil
        overflowed.remove(stream)
        offeredWhileInProgress = offeredWhileInProgress.filter { $0.value.stream != stream }
        if let index = order.firstIndex(of: stream) {
            order.remove(at: index)
            if cursor > index { cursor -= 1 }
            if cursor >= order.count { cursor = 0 }
        }
    }

    /// Queued (not in progress) items per stream.
    public func queuedCounts() -> [String: Int] {
        lock()
        defer { unlock() }
        var counts: [String: Int] = [:]
        for stream in order { counts[stream] = queuedCount(of: stream) }
        return counts
    }

    public var inProgressCount: Int {
        lock()
        defer { unlock() }
        return inProgress.count
    }

    /// Wakes every waiting worker; `next()` returns nil from now on.
    public func close() {
        lock()
        closed = true
        pthread_cond_broadcast(&condition)
        unlock()
    }

    private func queuedCount(of stream: String) -> Int {
        (queues[stream]?.count ?? 0) - (heads[stream] ?? 0)
    }

    private func takeNext() -> (key: String, stream: String, item: Item)? {
        guard !order.isEmpty else { return nil }
        for offset in 0..<order.count {
            let index = (cursor + offset) % order.count
            let stream = order[index]
            guard queuedCount(of: stream) > 0, let count = queues[stream]?.count else { continue }
            let head = heads[stream] ?? 0
            let entry = queues[stream]![head]
            if head + 1 == count {
                // Drained: drop the taken items (they hold paths and keys) and the array's storage.
                queues[stream] = []
                heads[stream] = 0
            } else if head + 1 >= 64 && head + 1 >= count / 2 {
                // Compact the taken prefix now and then, so a long-lived stream's array does not grow forever.
                queues[stream]!.removeFirst(head + 1)
                heads[stream] = 0
            } else {
                heads[stream] = head + 1
            }
            cursor = (index + 1) % order.count
            queuedKeys.remove(entry.key)
            if queuedKeys.isEmpty && queuedKeys.capacity > 1024 { queuedKeys = [] }  // a burst's table, given back
            inProgress.insert(entry.key)
            return (entry.key, stream, entry.item)
        }
        return nil
    }

    private func lock() { pthread_mutex_lock(&mutex) }
    private func unlock() { pthread_mutex_unlock(&mutex) }
}
