/// Remembers what was reported lately so one write is reported once: a scan and an event (or a settle and a
/// later close) that see the same size, mtime and inode within the window report it a single time.
/// A new write (size or mtime changed) is always reported again.
struct RecentEmissions<Key: Hashable> {
    private struct Record {
        var observation: FileObservation
        var at: Int64
    }

    let window: Int64
    private var records: [Key: Record] = [:]
    private var lastPrune: Int64 = 0

    init(window: Int64) { self.window = window }

    var count: Int { records.count }

    /// True when `key` should be reported now; records it either way. `force` reports it regardless (start-up,
    /// overflow and requested rescans promise every present file).
    mutating func shouldReport(_ key: Key, _ observation: FileObservation, now: Int64, force: Bool) -> Bool {
        if !force, let record = records[key], record.observation == observation, now - record.at < window {
            return false
        }
        records[key] = Record(observation: observation, at: now)
        return true
    }

    mutating func forget(_ key: Key) { records[key] = nil }

    mutating func forgetAll(where shouldForget: (Key) -> Bool) {
        records = records.filter { !shouldForget($0.key) }
    }

    /// Drops records older than the window, at most once per quarter window.
    mutating func prune(now: Int64) {
        guard now - lastPrune >= window / 4 else { return }
        lastPrune = now
        records = records.filter { now - $0.value.at < window }
    }
}
