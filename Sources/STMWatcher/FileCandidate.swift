/// A file the watcher believes is complete, with where it is and why it was reported.
///
/// Size, mtime, device and inode are hints taken with `lstat` when the event was handled: the file may have
/// changed since (`tar -x` sets mtime after close, inodes are reused). Identity is the daemon's content hash.
public struct FileCandidate: Sendable, Hashable {
    /// The inbox root exactly as it was given to `InboxWatcher`.
    public var root: String
    /// The stream (first-level folder) name for display and configuration: UTF-8, with each byte that is not
    /// valid UTF-8 written as `\xNN`. Use `streamName` for paths.
    public var stream: String
    /// The stream folder's name as raw bytes.
    public var streamName: [UInt8]
    /// Raw bytes of the path under the stream folder: `b.txt`, or `a/b.txt` inside nested folders.
    public var relativePath: [UInt8]
    /// Raw bytes of `root/stream/relativePath`, usable with `open(2)` (append a NUL).
    public var path: [UInt8]
    public var size: Int64
    /// Nanoseconds since the epoch.
    public var modificationTime: Int64
    public var device: UInt64
    public var inode: UInt64
    public var trigger: Trigger

    /// Why a file was reported.
    public enum Trigger: String, Sendable, Hashable, CaseIterable {
        /// IN_CLOSE_WRITE: a writer closed it.
        case closeWrite
        /// IN_MOVED_TO: renamed into a watched folder.
        case movedTo
        /// Created but never closed (hard link, a writer opened before we watched): size and mtime were stable
        /// for the settle delay.
        case settled
        /// Still open or still changing when the maximum wait ran out.
        case maximumWait
        /// IN_CREATE: only on `.rejected` (a symlink, FIFO, socket or device is refused as soon as it appears).
        case created
        /// Found by a scan: start-up catch-up, a new folder, an overflow rescan or `rescan(root:stream:)`.
        case scan
        /// Found new or changed by a polling pass and stable for the settle delay.
        case poll
    }

    /// The file's base name, raw bytes.
    public var name: [UInt8] {
        guard let slash = relativePath.lastIndex(of: UInt8(ascii: "/")) else { return relativePath }
        return Array(relativePath[(slash + 1)...])
    }

    /// `path` for logs: UTF-8 with invalid bytes as `\xNN`.
    public var displayPath: String { ByteNames.display(path) }

    public init(
        root: String, stream: String, streamName: [UInt8], relativePath: [UInt8], path: [UInt8], size: Int64,
        modificationTime: Int64, device: UInt64, inode: UInt64, trigger: Trigger
    ) {
        self.root = root
        self.stream = stream
        self.streamName = streamName
        self.relativePath = relativePath
        self.path = path
        self.size = size
        self.modificationTime = modificationTime
        self.device = device
        self.inode = inode
        self.trigger = trigger
    }
}
