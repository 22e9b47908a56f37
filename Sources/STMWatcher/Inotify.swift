internal import Glibc

/// The inotify event bits the watcher uses (declared here: Glibc imports the high bits poorly).
struct InotifyMask: OptionSet, Sendable {
    let rawValue: UInt32

    static let open = InotifyMask(rawValue: 0x0000_0020)
    static let closeWrite = InotifyMask(rawValue: 0x0000_0008)
    static let closeNoWrite = InotifyMask(rawValue: 0x0000_0010)
    static let movedFrom = InotifyMask(rawValue: 0x0000_0040)
    static let movedTo = InotifyMask(rawValue: 0x0000_0080)
    static let create = InotifyMask(rawValue: 0x0000_0100)
    static let delete = InotifyMask(rawValue: 0x0000_0200)
    static let deleteSelf = InotifyMask(rawValue: 0x0000_0400)
    static let moveSelf = InotifyMask(rawValue: 0x0000_0800)
    static let unmount = InotifyMask(rawValue: 0x0000_2000)
    static let queueOverflow = InotifyMask(rawValue: 0x0000_4000)
    static let ignored = InotifyMask(rawValue: 0x0000_8000)
    static let onlyDirectory = InotifyMask(rawValue: 0x0100_0000)
    static let dontFollow = InotifyMask(rawValue: 0x0200_0000)
    static let excludeUnlinked = InotifyMask(rawValue: 0x0400_0000)
    static let isDirectory = InotifyMask(rawValue: 0x4000_0000)

    /// A root: its first-level entries come and go; files there are only reported, never taken.
    static let rootWatch: InotifyMask = [
        .create, .movedTo, .movedFrom, .delete, .deleteSelf, .moveSelf, .onlyDirectory, .dontFollow,
    ]
    /// A stream folder or a folder inside one. IN_OPEN/IN_CLOSE_NOWRITE count a created file's open handles,
    /// so a writer that pauses longer than the settle delay is still waited for.
    static let streamWatch: InotifyMask = [
        .create, .open, .closeWrite, .closeNoWrite, .movedTo, .movedFrom, .delete, .deleteSelf, .moveSelf,
        .onlyDirectory, .dontFollow, .excludeUnlinked,
    ]
}

/// One event as read from the descriptor; `name` is empty for events about the watched folder itself.
struct InotifyEvent: Sendable {
    var watch: Int32
    var mask: InotifyMask
    var cookie: UInt32
    var name: [UInt8]
}

/// An inotify instance: a non-blocking descriptor, its watches, and a reusable read buffer.
/// Used by one thread at a time (created by `start()`, then owned by the watcher's thread).
final class Inotify {
    let descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private static let bufferSize = 64 * 1024

    /// `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)`; throws the errno.
    init() throws(Errno) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw Errno(errno) }
        descriptor = fd
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// The watch descriptor, or the errno.
    func addWatch(_ path: [UInt8], mask: InotifyMask) -> Result<Int32, Errno> {
        let wd = ByteNames.withCString(path) { inotify_add_watch(descriptor, $0, mask.rawValue) }
        return wd >= 0 ? .success(wd) : .failure(Errno(errno))
    }

    /// Best effort: the kernel may have dropped the watch already (folder deleted), which is fine.
    func removeWatch(_ wd: Int32) {
        _ = inotify_rm_watch(descriptor, wd)
    }

    enum ReadOutcome {
        /// Nothing more to read now (EAGAIN).
        case drained
        /// `limit` buffers were handled and more may be waiting; come back after other work.
        case more
        case failed(Errno)
    }

    /// Reads up to `limit` buffers of events, calling `handle` for each in order.
    func read(limit: Int = 8, _ handle: (InotifyEvent) -> Void) -> ReadOutcome {
        for _ in 0..<limit {
            let count = Glibc.read(descriptor, buffer, Self.bufferSize)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return .drained }
                return .failed(Errno(code))
            }
            if count == 0 { return .drained }
            var offset = 0
            while offset + 16 <= count {
                let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                // The name is NUL-padded to `length` bytes.
                let start = buffer.advanced(by: offset + 16).assumingMemoryBound(to: UInt8.self)
                let name = Array(UnsafeBufferPointer(start: start, count: length).prefix { $0 != 0 })
                handle(InotifyEvent(watch: wd, mask: InotifyMask(rawValue: mask), cookie: cookie, name: name))
                offset += 16 + length
            }
        }
        return .more
    }
}

/// An errno value from a failed system call.
struct Errno: Error, Equatable, Sendable {
    var code: Int32
    init(_ code: Int32) { self.code = code }
}
