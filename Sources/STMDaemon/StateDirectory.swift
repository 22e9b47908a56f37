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

    /// Whether some process holds the state lock now, as the kernel's lock table (`/proc/locks`) says: a daemon
    /// that crashed leaves its `status.json` behind but not its lock. Nil when the table cannot be read.
    /// Looking does not take the lock, so it never makes a starting daemon refuse to start.
    public func lockIsHeld() -> Bool? {
        var info = stat()
        guard stat(path + "/lock", &info) == 0 else { return false }
        guard let table = Self.readAll("/proc/locks") else { return nil }
        // Lines look like `1: FLOCK  ADVISORY  WRITE 866 fe:00:2246400 0 EOF`: device major:minor in hex, inode.
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xFFF) | ((device >> 32) & ~UInt64(0xFFF))
        let minor = (device & 0xFF) | ((device >> 12) & ~UInt64(0xFF))
        let identity = String(format2: major) + ":" + String(format2: minor) + ":" + String(info.st_ino)
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // NFS shows an flock as a POSIX lock; the inode identifies the file either way.
            return fields.count > 5 && (fields[1] == "FLOCK" || fields[1] == "POSIX") && fields[5] == identity
        }
    }

    private static func readAll(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let bytes = try? FileCalls.readAll(descriptor, path: Array(path.utf8)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
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
    /// Lowercase hex, at least two digits (as `/proc/locks` prints device numbers).
    fileprivate init(format2 value: UInt64) {
        let digits = String(value, radix: 16)
        self = digits.count < 2 ? "0" + digits : digits
    }

    fileprivate var trimmingPrefixAndSuffixWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
