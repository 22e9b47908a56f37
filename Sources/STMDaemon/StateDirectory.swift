import Glibc

/// The daemon's state folder (ledger, memory): `--state DIR`, else `$STATE_DIRECTORY` (systemd's
/// `StateDirectory=`), else `./.stmd`. Created with mode 0700 when missing, and locked with `flock` for the
/// daemon's lifetime so a second daemon on the same state refuses to start instead of corrupting it.
public final class StateDirectory: @unchecked Sendable {
    public let path: String
    private var lockDescriptor: Int32 = -1

    /// Where the state lives for these arguments and environment.
    public static func resolve(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        // systemd may pass several, separated by ':'; the first is ours.
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return String(fromSystemd) }
        return "./.stmd"
    }

    /// Creates (0700) and opens the folder without locking it: for readers such as `stmd status`.
    public init(path: String) throws(StateDirectoryError) {
        self.path = path
        var status = stat()
        if stat(path, &status) != 0 {
            guard errno == ENOENT else { throw .unusable(path: path, reason: String(cString: strerror(errno))) }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw .unusable(path: path, reason: "cannot create it: \(String(cString: strerror(errno)))")
            }
        } else if status.st_mode & S_IFMT != S_IFDIR {
            throw .unusable(path: path, reason: "not a directory")
        }
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// Takes the exclusive lock (`<state>/lock`), held until this object goes away or the process exits.
    public func lock() throws(StateDirectoryError) {
        let lockPath = path + "/lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw .unusable(path: lockPath, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .unusable(path: lockPath, reason: String(cString: strerror(code)))
        }
        // The holder's pid, for the message a second daemon prints (informational only).
        _ = ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        lockDescriptor = descriptor
    }

    /// The pid written by the daemon holding the lock, if readable.
    public func holderPID() -> Int32? {
        let descriptor = open(path + "/lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingPrefixAndSuffixWhitespace)
    }
}

public enum StateDirectoryError: Error, Equatable, CustomStringConvertible {
    case unusable(path: String, reason: String)
    case locked(path: String)

    public var description: String {
        switch self {
        case .unusable(let path, let reason): "state directory \(path): \(reason)"
        case .locked(let path): "state directory \(path) is in use by another stmd (its lock is held); stop it or pass --state DIR"
        }
    }
}

extension String {
    fileprivate var trimmingPrefixAndSuffixWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
