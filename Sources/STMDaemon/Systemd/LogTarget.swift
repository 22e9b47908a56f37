import Glibc

/// Where the daemon's log goes: journald's native protocol (structured fields), or stderr lines.
public enum LogTarget: String, Sendable, CaseIterable {
    case journal, stderr, auto

    /// `auto`: the journal when stderr is the journal stream systemd connected us to — `$JOURNAL_STREAM`
    /// names stderr's device and inode (systemd.exec(7)); a redirected stderr keeps the variable but not the
    /// match — otherwise stderr.
    public func resolved() -> LogTarget {
        guard self == .auto else { return self }
        return Self.stderrIsJournalStream() ? .journal : .stderr
    }

    static func stderrIsJournalStream() -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: raw).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// Whether stderr lines should carry `<N>` priority prefixes: stderr is a journal stream.
    public static var stderrWantsPriorityPrefix: Bool { stderrIsJournalStream() }
}
