internal import Glibc

/// Everything that can go wrong while watching, each case carrying what a person needs to fix it.
///
/// Thrown by `InboxWatcher.init` and `start()`; while running, reported as `.failure` and survived unless
/// stated: `rootRemoved` ends watching that root, `watchLimit` switches that root to polling, `readFailed`
/// stops the watcher (the event stream finishes).
public enum WatchError: Error, Sendable, Hashable, CustomStringConvertible {
    case rootNotFound(path: String)
    case notADirectory(path: String)
    /// Two roots given are the same folder.
    case duplicateRoot(paths: [String])
    /// Two roots have a first-level folder of the same name; `paths` are both folders.
    case duplicateStream(stream: String, paths: [String])
    /// `inotify_init1` failed with EMFILE; `limit` is `fs.inotify.max_user_instances` when readable.
    case instanceLimit(limit: Int?)
    /// `inotify_add_watch` failed with ENOSPC on `path`; `limit` is `fs.inotify.max_user_watches` when readable.
    case watchLimit(path: String, limit: Int?)
    /// A system call failed with `errno` (for `path`, when there is one).
    case systemCall(name: String, path: String?, errno: Int32)
    /// A root folder was deleted, moved or unmounted; it is no longer watched.
    case rootRemoved(path: String)
    /// Reading the inotify descriptor failed; the watcher stopped.
    case readFailed(root: String, errno: Int32)
    case alreadyStarted
    /// `STMD_FAULTS` (debug builds) holds something that is not a fault.
    case invalidFaultSpecification(String)

    public var description: String {
        switch self {
        case .rootNotFound(let path):
            return "inbox root '\(path)' does not exist"
        case .notADirectory(let path):
            return "inbox root '\(path)' is not a directory"
        case .duplicateRoot(let paths):
            return
                "the same folder is given twice as an inbox root: \(paths.map { "'\($0)'" }.joined(separator: " and "))"
        case .duplicateStream(let stream, let paths):
            return "two inbox roots have a stream named '\(stream)': "
                + paths.map { "'\($0)'" }.joined(separator: " and ")
                + "; rename one of the folders (stream names must be unique across roots)"
        case .instanceLimit(let limit):
            let now = limit.map { " (now \($0))" } ?? ""
            return "cannot create an inotify instance: too many (EMFILE). Raise fs.inotify.max_user_instances\(now), "
                + "e.g. `sysctl -w fs.inotify.max_user_instances=1024` (persist it in /etc/sysctl.d/), "
                + "or the process's open-file limit (ulimit -n, LimitNOFILE=)"
        case .watchLimit(let path, let limit):
            let now = limit.map { " (now \($0))" } ?? ""
            return "cannot watch '\(path)': the inotify watch limit is reached (ENOSPC). Raise "
                + "fs.inotify.max_user_watches\(now), e.g. `sysctl -w fs.inotify.max_user_watches=524288` "
                + "(persist it in /etc/sysctl.d/); each watched folder uses one watch"
        case .systemCall(let name, let path, let code):
            let target = path.map { " '\($0)'" } ?? ""
            return "\(name)\(target) failed: \(WatchError.errorText(code)) (errno \(code))"
        case .rootRemoved(let path):
            return "inbox root '\(path)' was removed, moved or unmounted; it is no longer watched"
        case .readFailed(let root, let code):
            return "reading inotify events for '\(root)' failed: \(WatchError.errorText(code)) (errno \(code))"
        case .alreadyStarted:
            return "the watcher was already started"
        case .invalidFaultSpecification(let text):
            return "STMD_FAULTS: '\(text)' is not a fault (expected hide-event:GLOB, add-watch-enospc[:N], "
                + "init-emfile or hold-reading:PATH, separated by commas)"
        }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error" }
        return String(cString: text)
    }

    /// Reads an integer from /proc/sys (the current inotify limits) for error messages; nil when unreadable.
    static func sysctlValue(_ name: String) -> Int? {
        let fd = open("/proc/sys/fs/inotify/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 32) }
        guard count > 0 else { return nil }
        let digits = buffer[..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
