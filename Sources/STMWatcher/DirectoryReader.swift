internal import Glibc

/// Lists one folder without following symlinks: the folder is opened with O_NOFOLLOW and every entry is
/// looked at with `fstatat(AT_SYMLINK_NOFOLLOW)` relative to it, so nothing is opened but folders.
enum DirectoryReader {
    struct Entry {
        var name: [UInt8]
        var status: FileStatus
    }

    enum Failure: Error {
        /// The folder is gone or is no longer a folder (a race with a delete or rename).
        case gone
        case failed(errno: Int32)
    }

    /// The entries of `path` whose names `include` accepts (checked before `fstatat`, so ignored names cost nothing).
    static func list(_ path: [UInt8], include: ([UInt8]) -> Bool) -> Result<[Entry], Failure> {
        let fd = ByteNames.withCString(path) { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            let code = errno
            return .failure(code == ENOENT || code == ENOTDIR || code == ELOOP ? .gone : .failed(errno: code))
        }
        guard let directory = fdopendir(fd) else {
            let code = errno
            close(fd)
            return .failure(.failed(errno: code))
        }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(.failed(errno: errno)) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            guard include(name) else { continue }
            // An entry removed between readdir and fstatat is simply not there.
            guard let status = FileStatus.at(directory: fd, name: name) else { continue }
            entries.append(Entry(name: name, status: status))
        }
        return .success(entries)
    }
}
