import Glibc

/// A start-up failure outside the configuration, models and ledger.
public enum StartupError: Error, CustomStringConvertible {
    case notWritable(path: String, errno: Int32)
    case contextHeadWithoutBase(head: String, task: String)

    public var description: String {
        switch self {
        case .contextHeadWithoutBase(let head, let task):
            return "[memory] context_head = \"\(head)\" needs the \(task) task (its topic_task) to run a classifier in [defaults] tasks"
        case .notWritable(let path, let code) where code == EROFS:
            return "\(path) is read-only for stmd, so no output can be written there. Under systemd's ProtectSystem=strict "
                + "every path not listed in ReadWritePaths= is read-only: add it (systemctl edit stmd → [Service] "
                + "ReadWritePaths=\(path)), or use output = \"root\" with an output_root that is writable"
        case .notWritable(let path, let code):
            return "\(path) is not writable by stmd (\(String(cString: strerror(code)))): outputs are written beside the "
                + "documents; make it writable by the daemon's user or group (the packaged inbox is group stmd, setgid, g+w)"
        }
    }
}
