import Glibc

/// Where one output goes: a base folder the configuration names, then folders below it that are opened one
/// by one without following symbolic links, then the output's name.
///
/// Walking with `openat(…, O_DIRECTORY | O_NOFOLLOW)` instead of opening a joined path means a folder swapped
/// for a link after the document was read still cannot send the output outside the stream folder or output root.
struct OutputTarget: Sendable, Hashable {
    /// The inbox root (alongside) or the output root; configured, so it may be a link.
    var base: [UInt8]
    /// The stream folder, then the document's folders below it.
    var folders: [[UInt8]]
    var outputName: [UInt8]
    /// Output-root mode: missing folders below `base` are created (mode 0755, subject to the umask).
    var createsFolders: Bool

    var directory: [UInt8] { PathBytes.join([base] + folders) }
    var outputPath: [UInt8] { PathBytes.join([directory, outputName]) }

    /// Opens the output's folder for reading (so it can be fsynced), creating folders when `createsFolders`.
    func openFolder() throws(OutputError) -> Int32 {
        var (fd, code) = FileCalls.tryOpen(base, flags: O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else {
            if code == ENOENT && createsFolders { throw .outputRootMissing(path: PathBytes.render(base)) }
            if code == ENOTDIR { throw .notAFolder(path: PathBytes.render(base)) }
            throw .system(operation: "open", path: PathBytes.render(base), errno: code)
        }
        var path = base
        for folder in folders {
            let parentPath = path
            path = PathBytes.join([path, folder])
            var (next, nextCode) = FileCalls.tryOpen(folder, in: fd, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            if next < 0 && nextCode == ENOENT && createsFolders {
                do throws(OutputError) {
                    try makeFolder(folder, in: fd, path: path)
                    // The new entry must survive a crash as long as the output that will live in it.
                    try FileCalls.sync(fd, path: parentPath, isFolder: true)
                } catch {
                    FileCalls.close(fd)
                    throw error
                }
                (next, nextCode) = FileCalls.tryOpen(folder, in: fd, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            }
            FileCalls.close(fd)
            guard next >= 0 else {
                if nextCode == ELOOP || nextCode == ENOTDIR { throw .notAFolder(path: PathBytes.render(path)) }
                throw .system(operation: "open", path: PathBytes.render(path), errno: nextCode)
            }
            fd = next
        }
        return fd
    }

    private func makeFolder(_ name: [UInt8], in directory: Int32, path: [UInt8]) throws(OutputError) {
        let (_, code) = PathBytes.withCString(name) { cName in FileCalls.retrying { mkdirat(directory, cName, 0o755) } }
        if code != 0 && code != EEXIST { throw .system(operation: "mkdir", path: PathBytes.render(path), errno: code) }
    }
}
