/// How an `InboxWatcher` decides that a file is complete and which names it never reports.
public struct WatchSettings: Sendable, Equatable {
    /// A regular file that was created but not closed (a hard link, a writer we never saw open it) is taken
    /// once its size and mtime have been unchanged for this long; polled files use the same rule.
    public var settleDelay: Duration = .milliseconds(300)
    /// A file that is still open or still changing is taken anyway after this long, so a file written
    /// forever (a log, a stuck writer) is not held back for ever. A later close reports it again.
    public var maximumWait: Duration = .seconds(30)
    /// `fnmatch(3)` globs matched against base names (files and folders, at every level). The daemon's own
    /// outputs and hidden names are ignored on top of these, whatever this list says.
    public var ignorePatterns: [String] = WatchSettings.defaultIgnorePatterns
    /// Poll every root instead of using inotify (roots on network filesystems are polled regardless).
    public var forcePolling: Bool = false
    /// How often a polled root is listed.
    public var pollInterval: Duration = .seconds(1)
    /// Test-only faults; inert in release builds.
    public var faultHooks = WatcherFaultHooks()

    /// What clients leave behind while writing: editors' backups and swap files, downloads in progress.
    /// Hidden names (rsync's `.name.XXXXXX`) are ignored by construction.
    public static let defaultIgnorePatterns = [".*", "*~", "*.swp", "*.tmp", "*.part", "*.crdownload"]

    public init() {}
}

extension Duration {
    /// Whole nanoseconds, saturating; the watcher's clock works in `Int64` nanoseconds.
    var watcherNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : total
    }
}
