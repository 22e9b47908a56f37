import Glibc

/// Why an output could not be written, with the path a human needs to fix it.
public enum OutputError: Error, Equatable, CustomStringConvertible {
    /// A stream or path component that would let a derived path leave its folder, or cannot be a file name.
    case invalidName(path: String, reason: String)
    /// The output's name would exceed the 255-byte limit of a file name.
    case nameTooLong(path: String)
    /// The configured output root does not exist (the writer creates folders below it, never the root itself).
    case outputRootMissing(path: String)
    /// A folder on the way to the output is a symbolic link or not a folder; links are never followed there.
    case notAFolder(path: String)
    /// A system call failed: `operation` (`open`, `write`, `fsync`, `rename`…), the path and `errno`.
    case system(operation: String, path: String, errno: Int32)

    /// The `errno` of a failed system call, if that is what this is.
    public var errno: Int32? {
        if case .system(_, _, let code) = self { return code }
        return nil
    }

    /// Whether trying again later may succeed: a full disk or quota, a busy resource, a permission that may
    /// be granted, an I/O error. The daemon retries these with backoff instead of writing an error output.
    public var isTransient: Bool {
        guard let code = errno else { return false }
        return [ENOSPC, EDQUOT, EAGAIN, EACCES, EPERM, EIO, EBUSY, ENOMEM, EMFILE, ENFILE, EROFS].contains(code)
    }

    public var description: String {
        switch self {
        case .invalidName(let path, let reason): "invalid name \(path): \(reason)"
        case .nameTooLong(let path): "output name too long (over 255 bytes): \(path)"
        case .outputRootMissing(let path): "output root \(path) does not exist"
        case .notAFolder(let path): "\(path) is not a folder (symbolic links are not followed)"
        case .system(let operation, let path, let code):
            "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
