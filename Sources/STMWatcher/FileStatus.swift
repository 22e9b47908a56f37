internal import Glibc

/// What `lstat` says about an entry: never follows a symlink, never opens the file.
struct FileStatus: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case regular, directory, symbolicLink, fifo, socket, blockDevice, characterDevice, other
    }

    var kind: Kind
    var mode: UInt32
    var size: Int64
    /// Nanoseconds since the epoch.
    var modificationTime: Int64
    var device: UInt64
    var inode: UInt64

    /// What the settle and dedupe rules compare: a changed write shows as a changed size or mtime.
    var observation: FileObservation {
        FileObservation(size: size, modificationTime: modificationTime, device: device, inode: inode)
    }

    /// Why a non-regular, non-directory entry is refused.
    var rejection: RejectionReason? {
        switch kind {
        case .regular, .directory: nil
        case .symbolicLink: .symbolicLink
        case .fifo: .fifo
        case .socket: .socket
        case .blockDevice: .blockDevice
        case .characterDevice: .characterDevice
        case .other: .other(mode: mode)
        }
    }

    init(_ raw: stat) {
        mode = UInt32(raw.st_mode)
        kind =
            switch mode & 0o170000 {
            case 0o100000: .regular
            case 0o040000: .directory
            case 0o120000: .symbolicLink
            case 0o010000: .fifo
            case 0o140000: .socket
            case 0o060000: .blockDevice
            case 0o020000: .characterDevice
            default: .other
            }
        size = Int64(raw.st_size)
        modificationTime = Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec)
        device = UInt64(raw.st_dev)
        inode = UInt64(raw.st_ino)
    }

    /// `lstat(path)`; nil when the entry is gone (or cannot be looked at).
    static func at(path: [UInt8]) -> FileStatus? {
        var raw = stat()
        let result = ByteNames.withCString(path) { lstat($0, &raw) }
        return result == 0 ? FileStatus(raw) : nil
    }

    /// `fstatat(directory, name, AT_SYMLINK_NOFOLLOW)`.
    static func at(directory: Int32, name: [UInt8]) -> FileStatus? {
        var raw = stat()
        let result = ByteNames.withCString(name) { fstatat(directory, $0, &raw, AT_SYMLINK_NOFOLLOW) }
        return result == 0 ? FileStatus(raw) : nil
    }

    /// `stat(path)` following symlinks: only for the roots themselves, which may be given through a link.
    static func following(path: String) -> (FileStatus?, Int32) {
        var raw = stat()
        let result = stat(path, &raw)
        return result == 0 ? (FileStatus(raw), 0) : (nil, errno)
    }
}

/// The part of a file's status that changes when it is written (and the identity hints beside it).
struct FileObservation: Hashable, Sendable {
    var size: Int64
    var modificationTime: Int64
    var device: UInt64
    var inode: UInt64
}
