import CSystemd
import Glibc

/// A journal opened for reading through libsystemd (sd-journal(3)): the local journal, a directory of journal
/// files, or given files; matches; cursors; and the descriptor an event loop polls (`sd_journal_get_fd` +
/// `sd_journal_process`) instead of blocking in `sd_journal_wait`. Not thread-safe: one thread owns a reader.
public final class JournalReader {
    /// Where the entries come from.
    public enum Location: Sendable, Equatable {
        /// This machine's journal (system and, when readable, user journals).
        case local
        /// Every journal file in a directory (`journalctl -D`).
        case directory(String)
        /// These journal files (`journalctl --file`).
        case files([String])
    }

    /// What `process()` saw since the last call.
    public enum Change: Sendable, Equatable {
        case nothing, appended, invalidated
    }

    private var journal: OpaquePointer?
    public let location: Location

    public init(_ location: Location) throws(JournalError) {
        self.location = location
        var opened: OpaquePointer?
        let result: Int32
        switch location {
        case .local:
            result = sd_journal_open(&opened, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            result = sd_journal_open_directory(&opened, path, 0)
        case .files(let paths):
            var pointers = paths.map { strdup($0) }
            defer { for pointer in pointers { free(pointer) } }
            pointers.append(nil)
            result = pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    sd_journal_open_files(&opened, $0, 0)
                }
            }
        }
        guard result >= 0, let opened else { throw .call("sd_journal_open", location: location, errno: -result) }
        journal = opened
    }

    deinit { sd_journal_close(journal) }

    /// `FIELD=value` terms: the same field ORed, different fields ANDed (journalctl's rules); `disjunction`
    /// starts an alternative group.
    public func addMatch(_ term: String) throws(JournalError) {
        let bytes = Array(term.utf8)
        let result = bytes.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
        guard result >= 0 else { throw .invalidMatch(term, errno: -result) }
    }

    public func addDisjunction() { sd_journal_add_disjunction(journal) }

    public func seekHead() { sd_journal_seek_head(journal) }

    public func seekTail() { sd_journal_seek_tail(journal) }

    /// Positions at the entry of `cursor` (or the nearest one, if it was vacuumed); `next()` then returns that
    /// entry when it still exists, which `isAt(cursor:)` tells, so a restart neither replays nor skips one.
    public func seek(cursor: String) throws(JournalError) {
        let result = sd_journal_seek_cursor(journal, cursor)
        guard result >= 0 else { throw .invalidCursor(cursor, errno: -result) }
    }

    public func isAt(cursor: String) -> Bool { sd_journal_test_cursor(journal, cursor) > 0 }

    /// Moves to the next entry; false at the end.
    public func next() throws(JournalError) -> Bool {
        let result = sd_journal_next(journal)
        guard result >= 0 else { throw .call("sd_journal_next", location: location, errno: -result) }
        return result > 0
    }

    /// Moves to the previous entry; false at the start.
    public func previous() -> Bool { sd_journal_previous(journal) > 0 }

    /// The current entry's value of `field`, as bytes (journal values are binary-safe).
    public func data(_ field: String) -> [UInt8]? {
        var pointer: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(journal, field, &pointer, &length) >= 0, let pointer else { return nil }
        let prefix = field.utf8.count + 1
        guard length >= prefix else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer + prefix, count: length - prefix))
    }

    public func string(_ field: String) -> String? { data(field).map { String(decoding: $0, as: UTF8.self) } }

    public var cursor: String? {
        var raw: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(journal, &raw) >= 0, let raw else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// The current entry's wall-clock time, in microseconds since the epoch.
    public var realtimeMicroseconds: UInt64? {
        var value: UInt64 = 0
        return sd_journal_get_realtime_usec(journal, &value) >= 0 ? value : nil
    }

    /// The descriptor to poll for new entries (`POLLIN`, or what `sd_journal_get_events` says).
    public func descriptor() throws(JournalError) -> (fd: Int32, events: Int16) {
        let fd = sd_journal_get_fd(journal)
        guard fd >= 0 else { throw .call("sd_journal_get_fd", location: location, errno: -fd) }
        let events = sd_journal_get_events(journal)
        return (fd, Int16(truncatingIfNeeded: events > 0 ? events : Int32(POLLIN)))
    }

    /// How long a poll may wait before `process()` must be called anyway (libsystemd's own timeout, for file
    /// systems whose changes inotify does not report), in milliseconds; -1 for no limit.
    public func timeoutMilliseconds() -> Int32 {
        var microseconds: UInt64 = 0
        guard sd_journal_get_timeout(journal, &microseconds) >= 0, microseconds != UInt64.max else { return -1 }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowMicroseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        guard microseconds > nowMicroseconds else { return 0 }
        return Int32(clamping: (microseconds - nowMicroseconds + 999) / 1_000)
    }

    /// After the descriptor was readable: what changed. INVALIDATE (files added or removed: rotation, vacuum)
    /// keeps the reader's position; the caller just reads on with `next()`.
    public func process() -> Change {
        switch sd_journal_process(journal) {
        case Int32(SD_JOURNAL_APPEND): .appended
        case Int32(SD_JOURNAL_INVALIDATE): .invalidated
        default: .nothing
        }
    }
}
