internal import Glibc

/// Faults a test can inject into the watcher, so the daemon's own safety nets (reconciliation, the limits
/// errors, overflow rescans) can be shown to work. They exist only in debug builds: in release this is an
/// empty value and `fromEnvironment()` ignores `STMD_FAULTS`.
///
/// `STMD_FAULTS` is a comma-separated list:
/// - `hide-event:GLOB` — drop every inotify event whose name matches GLOB (scans still see the file);
/// - `add-watch-enospc` or `add-watch-enospc:N` — after N successful `inotify_add_watch` calls (default 0),
///   the next one fails with ENOSPC;
/// - `init-emfile` — `inotify_init1` fails with EMFILE;
/// - `hold-reading:PATH` — inotify events are not read while PATH exists, so the kernel queue can overflow.
public struct WatcherFaultHooks: Sendable, Equatable {
    #if DEBUG
        /// Globs on base names whose inotify events are dropped.
        public var hiddenEventNames: [String] = []
        /// The `inotify_add_watch` call after this many successful ones fails with ENOSPC; nil: never.
        public var failAddWatchAfter: Int? = nil
        /// `inotify_init1` fails with EMFILE.
        public var failInotifyInit = false
        /// While this path exists the watcher does not read inotify events.
        public var holdReadingWhileExists: String? = nil
    #endif

    public init() {}

    /// Parses the `STMD_FAULTS` syntax. Release builds accept anything and inject nothing.
    public init(specification: String) throws(WatchError) {
        #if DEBUG
            for token in specification.split(separator: ",", omittingEmptySubsequences: true) {
                let item = token.trimmingSpaces
                if item.hasPrefix("hide-event:"), item.count > "hide-event:".count {
                    hiddenEventNames.append(String(item.dropFirst("hide-event:".count)))
                } else if item == "add-watch-enospc" {
                    failAddWatchAfter = 0
                } else if item.hasPrefix("add-watch-enospc:"),
                    let count = Int(item.dropFirst("add-watch-enospc:".count)),
                    count >= 0
                {
                    failAddWatchAfter = count
                } else if item == "init-emfile" {
                    failInotifyInit = true
                } else if item.hasPrefix("hold-reading:"), item.count > "hold-reading:".count {
                    holdReadingWhileExists = String(item.dropFirst("hold-reading:".count))
                } else {
                    throw .invalidFaultSpecification(item)
                }
            }
        #endif
    }

    /// The faults named by `STMD_FAULTS` (debug builds); no faults when it is unset or in release builds.
    public static func fromEnvironment() throws(WatchError) -> WatcherFaultHooks {
        #if DEBUG
            guard let raw = getenv("STMD_FAULTS") else { return WatcherFaultHooks() }
            return try WatcherFaultHooks(specification: String(cString: raw))
        #else
            return WatcherFaultHooks()
        #endif
    }

    /// True when no fault is set (always in release builds).
    public var isEmpty: Bool {
        #if DEBUG
            hiddenEventNames.isEmpty && failAddWatchAfter == nil && !failInotifyInit && holdReadingWhileExists == nil
        #else
            true
        #endif
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
