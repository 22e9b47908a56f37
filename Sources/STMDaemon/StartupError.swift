import Glibc

/// A start-up failure outside the configuration, models and ledger.
public enum StartupError: Error, CustomStringConvertible {
    case notWritable(path: String, errno: Int32)
    case contextHeadWithoutBase(head: String, task: String)
    /// A task setting its model's kind has no use for (`sentences` on a classifier).
    case unsupportedTaskSettings(place: String, task: String, model: String, keys: [String])

    public var description: String {
        switch self {
        case .unsupportedTaskSettings(let place, let task, let model, let keys):
            return "\(place): \(task) = { model = \"\(model)\", \(keys.joined(separator: ", ")) … }: \(model) does not take "
                + "\(keys.joined(separator: " or ")) (sentences and ratio go with a summarizer; beam and max_sentences with a translator)"
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
