/// Decides when a file that was created but not closed is complete: when it has no open handle we know of
/// and its size and mtime have been stable for the settle delay, or when the maximum wait runs out.
///
/// A pure value type over caller-supplied instants (nanoseconds on any monotonic clock): the watcher feeds
/// it events and `lstat` results; tests feed it made-up times.
struct SettleStateMachine<Key: Hashable> {
    enum Decision: Equatable {
        /// Not yet; look again at `nextDeadline()`.
        case wait
        /// Take the file now, reported with this trigger.
        case emit(FileCandidate.Trigger)
        /// The file is gone or no longer a regular file: forget it.
        case drop
    }

    struct Entry: Equatable {
        var observation: FileObservation
        var firstSeen: Int64
        var stableSince: Int64
        var openCount: Int
        var nextCheck: Int64
        /// `.settled` for inotify roots, `.poll` for polled ones.
        var trigger: FileCandidate.Trigger
        /// When tracking began, as a count: ties in `due` keep the order files were tracked in.
        var order: Int = 0
    }

    let settleDelay: Int64
    let maximumWait: Int64
    private(set) var entries: [Key: Entry] = [:]
    private var tracked = 0

    init(settleDelay: Int64, maximumWait: Int64) {
        self.settleDelay = max(0, settleDelay)
        self.maximumWait = max(0, maximumWait)
    }

    var isEmpty: Bool { entries.isEmpty }

    func isTracking(_ key: Key) -> Bool { entries[key] != nil }

    /// Starts following `key` (or refreshes what is known about it).
    mutating func track(_ key: Key, observation: FileObservation, now: Int64, trigger: FileCandidate.Trigger = .settled)
    {
        if var entry = entries[key] {
            if entry.observation != observation {
                entry.observation = observation
                entry.stableSince = now
            }
            entry.nextCheck = nextCheck(for: entry)
            entries[key] = entry
            return
        }
        var entry = Entry(
            observation: observation, firstSeen: now, stableSince: now, openCount: 0, nextCheck: now,
            trigger: trigger)
        entry.nextCheck = nextCheck(for: entry)
        tracked += 1
        entry.order = tracked
        entries[key] = entry
    }

    /// IN_OPEN: while a handle is open the file is not settled, however long the writer pauses.
    mutating func opened(_ key: Key) {
        guard var entry = entries[key] else { return }
        entry.openCount += 1
        entry.nextCheck = nextCheck(for: entry)
        entries[key] = entry
    }

    /// IN_CLOSE_NOWRITE: one handle fewer. (IN_CLOSE_WRITE takes the file at once, through `remove`.)
    mutating func closedWithoutWriting(_ key: Key, now: Int64) {
        guard var entry = entries[key] else { return }
        entry.openCount = max(0, entry.openCount - 1)
        entry.nextCheck = nextCheck(for: entry)
        entries[key] = entry
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Bool { entries.removeValue(forKey: key) != nil }

    mutating func removeAll(where shouldRemove: (Key) -> Bool) {
        entries = entries.filter { !shouldRemove($0.key) }
    }

    /// The earliest instant at which some entry needs a look.
    func nextDeadline() -> Int64? { entries.values.lazy.map(\.nextCheck).min() }

    /// The keys whose check is due at `now`, earliest first.
    /// The files to look at now, earliest deadline first; files due together (a polling pass's finds) in mtime
    /// order, then in the order they were tracked — the order they arrived in, which stream memory depends on.
    func due(now: Int64) -> [Key] {
        entries.filter { $0.value.nextCheck <= now }
            .sorted { a, b in
                (a.value.nextCheck, a.value.observation.modificationTime, a.value.order)
                    < (b.value.nextCheck, b.value.observation.modificationTime, b.value.order)
            }
            .map(\.key)
    }

    /// Applies a fresh `lstat` (nil: gone or not a regular file any more) and decides.
    mutating func observe(_ key: Key, observation: FileObservation?, now: Int64) -> Decision {
        guard var entry = entries[key] else { return .drop }
        guard let observation else {
            entries[key] = nil
            return .drop
        }
        if observation != entry.observation {
            entry.observation = observation
            entry.stableSince = now
        }
        if now - entry.firstSeen >= maximumWait {
            entries[key] = nil
            return .emit(.maximumWait)
        }
        if entry.openCount == 0 && now - entry.stableSince >= settleDelay {
            entries[key] = nil
            return .emit(entry.trigger)
        }
        entry.nextCheck = nextCheck(for: entry)
        entries[key] = entry
        return .wait
    }

    private func nextCheck(for entry: Entry) -> Int64 {
        let bound = entry.firstSeen + maximumWait
        // An open file is looked at again only when the maximum wait runs out (or when it is closed).
        if entry.openCount > 0 { return bound }
        return min(entry.stableSince + settleDelay, bound)
    }
}
