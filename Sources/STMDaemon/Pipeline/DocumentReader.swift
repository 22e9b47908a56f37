import Glibc

/// Reads a document the way a daemon facing arbitrary user files must: never following a symlink
/// (`O_NOFOLLOW`), never blocking on a FIFO or device (`O_NONBLOCK`, then refusing anything but a regular file),
/// never reading more than the size cap, and never changing the input.
public struct DocumentReader: Sendable {
    public let maximumSize: Int

    public init(maximumSize: Int) {
        self.maximumSize = maximumSize
    }

    /// The file's bytes.
    public func read(path: [UInt8]) throws(DocumentReadError) -> [UInt8] {
        try readWithHint(path: path).contents
    }

    /// The file's bytes and the size and modification time its `fstat` gave (no second look at the path).
    func readWithHint(path: [UInt8]) throws(DocumentReadError) -> (contents: [UInt8], hint: FileHint) {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        var descriptor: Int32
        repeat {
            descriptor = open(cPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw Self.openError(errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(errno: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(kind: Self.kind(of: status.st_mode)) }
        guard Int(status.st_size) <= maximumSize else { throw .tooLarge(size: Int(status.st_size), limit: maximumSize) }
        var contents: [UInt8] = []
        contents.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN ? .transient(errno: errno) : .unreadable(errno: errno)
            }
            if count == 0 { break }
            contents += chunk[0..<count]
            // The file grew past the cap while being read.
            if contents.count > maximumSize { throw .tooLarge(size: contents.count, limit: maximumSize) }
        }
        if contents.isEmpty { throw .empty }
        if contents.contains(0) && !Self.isUTF16(contents) { throw .binary }
        return (contents, FileHint(status: status))
    }

    /// UTF-16 text (announced by its byte-order mark) has NUL bytes and is still text.
    static func isUTF16(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF))
    }

    static func openError(_ code: Int32) -> DocumentReadError {
        switch code {
        case ENOENT, ENOTDIR: .vanished
        case ELOOP: .notRegularFile(kind: "symbolic link")
        case EACCES, EPERM, EAGAIN, EMFILE, ENFILE, ENOMEM: .transient(errno: code)
        default: .unreadable(errno: code)
        }
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "directory"
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFLNK: "symbolic link"
        default: "special file"
        }
    }
}

/// Why a document could not be read. `isTransient` errors are retried with backoff; the others get an error
/// output at once.
public enum DocumentReadError: Error, Equatable, CustomStringConvertible {
    case vanished
    case notRegularFile(kind: String)
    case tooLarge(size: Int, limit: Int)
    case empty
    case binary
    case transient(errno: Int32)
    case unreadable(errno: Int32)

    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    /// A short machine-readable code for the error output and the ledger.
    public var code: String {
        switch self {
        case .vanished: "vanished"
        case .notRegularFile: "not-a-regular-file"
        case .tooLarge: "too-large"
        case .empty: "empty"
        case .binary: "binary"
        case .transient: "transient"
        case .unreadable: "unreadable"
        }
    }

    public var description: String {
        switch self {
        case .vanished: "the file was deleted before it could be read"
        case .notRegularFile(let kind): "not a regular file: \(kind)"
        case .tooLarge(let size, let limit): "\(size) bytes, over the \(limit)-byte limit (max_file_size)"
        case .empty: "the file is empty"
        case .binary: "the file holds NUL bytes: binary, not text"
        case .transient(let code): "temporarily unreadable: \(String(cString: strerror(code)))"
        case .unreadable(let code): "unreadable: \(String(cString: strerror(code)))"
        }
    }
}
