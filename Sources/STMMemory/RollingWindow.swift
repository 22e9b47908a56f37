/// The last documents of a stream, bounded by count and by age, and what can be read from them.
///
/// Entries are kept in the order the stream counted them (`sequence`). Ages are relative to the stream's latest
/// event time, not the wall clock: `prune(latestTime:)` drops entries older than `maximumAge` before that time,
/// and `append` keeps at most `capacity` entries (the newest by sequence). A document with an old mtime (an
/// `rsync -a` or `tar -x` copy) is still counted, but enters the window only if it is within the age limit.
public struct RollingWindow: Sendable, Equatable {
    public let capacity: Int
    /// Seconds; entries with `time < latestTime − maximumAge` are dropped.
    public let maximumAge: Double
    public private(set) var entries: [MemoryEntry] = []

    public init(capacity: Int, maximumAge: Double, entries: [MemoryEntry] = []) {
        precondition(capacity >= 1, "RollingWindow: capacity \(capacity) must be at least 1")
        self.capacity = capacity
        self.maximumAge = maximumAge
        self.entries = entries.sorted { $0.sequence < $1.sequence }
        if self.entries.count > capacity { self.entries.removeFirst(self.entries.count - capacity) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The oldest event time an entry may have when the stream's latest is `latestTime`.
    public func oldestAllowedTime(latestTime: Double) -> Double { latestTime - maximumAge }

    /// Drops entries older than the age limit.
    public mutating func prune(latestTime: Double) {
        let oldest = oldestAllowedTime(latestTime: latestTime)
        entries.removeAll { $0.time < oldest }
    }

    /// Adds an entry (after `prune`), dropping the oldest by sequence beyond `capacity`. An entry already older
    /// than the age limit is not kept.
    public mutating func append(_ entry: MemoryEntry, latestTime: Double) {
        guard entry.time >= oldestAllowedTime(latestTime: latestTime) else { return }
        entries.append(entry)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// A related document: its entry and its cosine similarity to the query.
    public struct Match: Sendable, Equatable {
        public var entry: MemoryEntry
        public var similarity: Float
    }

    /// The entries most similar to `vector` (a unit vector), best first; ties go to the newer entry. At most `k`.
    public func mostSimilar(to vector: [Float], k: Int) -> [Match] {
        guard k > 0 else { return [] }
        // Scores first, entries copied only for the k kept: this runs once per document over the whole window.
        let similarities = entries.map { VectorMath.dot($0.vector, vector) }
        func ranksBefore(_ lhs: Int, _ rhs: Int) -> Bool {
            similarities[lhs] != similarities[rhs]
                ? similarities[lhs] > similarities[rhs] : entries[lhs].sequence > entries[rhs].sequence
        }
        var best: [Int] = []
        best.reserveCapacity(min(k, entries.count) + 1)
        for index in entries.indices {
            guard best.count < k || ranksBefore(index, best[best.count - 1]) else { continue }
            let position = best.firstIndex { ranksBefore(index, $0) } ?? best.count
            best.insert(index, at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map { Match(entry: entries[$0], similarity: similarities[$0]) }
    }

    /// The highest similarity to `vector` (nil for an empty window).
    public func maximumSimilarity(to vector: [Float]) -> Float? {
        entries.lazy.map { VectorMath.dot($0.vector, vector) }.max()
    }

    /// Per task, the fraction of entries with each label.
    public func labelDistribution() -> [String: [String: Double]] {
        var counts: [String: [String: Int]] = [:]
        for entry in entries {
            for (task, label) in entry.labels { counts[task, default: [:]][label, default: 0] += 1 }
        }
        let total = Double(entries.count)
        return counts.mapValues { labels in labels.mapValues { Double($0) / total } }
    }

    /// How many entries have `label` for `task`.
    public func count(task: String, label: String) -> Int {
        entries.reduce(0) { $0 + ($1.labels[task] == label ? 1 : 0) }
    }

    /// The mean sentiment of the entries that have one (nil when none has).
    public func sentimentMean() -> Double? {
        var sum: Double = 0
        var n = 0
        for entry in entries {
            if let sentiment = entry.sentiment {
                sum += sentiment
                n += 1
            }
        }
        return n == 0 ? nil : sum / Double(n)
    }
}
