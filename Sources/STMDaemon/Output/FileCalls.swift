import Glibc

/// The few system calls the writer and recovery need, on byte paths, with `EINTR` retried and failures turned
/// into `OutputError.system` naming the path.
enum FileCalls {
    /// Runs `call` until it does not fail with `EINTR`; returns its result and the `errno` of a failure (-1).
    static func retrying<T: FixedWidthInteger>(_ call: () -> T) -> (result: T, code: Int32) {
        while true {
            let result = call()
            if result != -1 { return (result, 0) }
            let code = Glibc.errno
            if code != EINTR { return (result, code) }
        }
    }

    /// `openat(directory, name, flags, mode)`: `directory` may be `AT_FDCWD` with a full path.
    static func open(
        _ name: [UInt8], in directory: Int32 = AT_FDCWD, flags: Int32, mode: mode_t = 0,
        path: [UInt8]
    ) throws(OutputError) -> Int32 {
        let (fd, code) = PathBytes.withCString(name) { cName in
            retrying { openat(directory, cName, flags | O_CLOEXEC, mode) }
        }
        guard fd >= 0 else { throw .system(operation: "open", path: PathBytes.render(path), errno: code) }
        return fd
    }

    /// Same as `open`, but returns the failure's `errno` instead of throwing (callers that branch on it).
    static func tryOpen(_ name: [UInt8], in directory: Int32 = AT_FDCWD, flags: Int32, mode: mode_t = 0)
        -> (fd: Int32, code: Int32)
    {
        let (fd, code) = PathBytes.withCString(name) { cName in
            retrying { openat(directory, cName, flags | O_CLOEXEC, mode) }
        }
        return (fd, code)
    }

    /// Writes every byte, continuing after short writes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: [UInt8]) throws(OutputError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let (written, code) = retrying { write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
                if written < 0 {
                    failure = code
                    return
                }
                offset += written
            }
        }
        if failure != 0 { throw .system(operation: "write", path: PathBytes.render(path), errno: failure) }
    }

    /// Reads the whole file behind `fd`.
    static func readAll(_ fd: Int32, path: [UInt8]) throws(OutputError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let (count, code) = chunk.withUnsafeMutableBytes { buffer in
                retrying { read(fd, buffer.baseAddress!, buffer.count) }
            }
            if count < 0 { throw .system(operation: "read", path: PathBytes.render(path), errno: code) }
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }

    /// `fsync`; for a folder, `EINVAL` (a file system that cannot sync folders) is not an error.
    static func sync(_ fd: Int32, path: [UInt8], isFolder: Bool = false) throws(OutputError) {
        let (_, code) = retrying { fsync(fd) }
        if code != 0 && !(isFolder && code == EINVAL) {
            throw .system(operation: "fsync", path: PathBytes.render(path), errno: code)
        }
    }

    /// Closes a descriptor. Linux releases it even when `close` fails, so a failure is not retried; data
    /// durability comes from the `fsync` before it.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `renameat` within one folder.
    static func rename(_ from: [UInt8], to: [UInt8], in directory: Int32, path: [UInt8]) throws(OutputError) {
        let (_, code) = PathBytes.withCString(from) { cFrom in
            PathBytes.withCString(to) { cTo in retrying { renameat(directory, cFrom, directory, cTo) } }
        }
        if code != 0 { throw .system(operation: "rename", path: PathBytes.render(path), errno: code) }
    }

    /// `unlinkat` of a file; returns the `errno` of a failure (0 on success).
    @discardableResult
    static func unlink(_ name: [UInt8], in directory: Int32) -> Int32 {
        PathBytes.withCString(name) { cName in retrying { unlinkat(directory, cName, 0) }.code }
    }

    /// `fstatat` without following a final symbolic link; nil with the `errno` when it fails.
    static func status(_ name: [UInt8], in directory: Int32 = AT_FDCWD) -> (info: stat?, code: Int32) {
        var info = stat()
        let (_, code) = PathBytes.withCString(name) { cName in
            retrying { fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW) }
        }
        return code == 0 ? (info, 0) : (nil, code)
    }

    static func isRegularFile(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }
    static func isFolder(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
}
