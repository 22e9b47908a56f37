import Glibc

/// Deletes the daemon's orphaned temporary files below a root's stream folders.
///
/// Only regular files whose names have the exact temporary shape (`OutputNaming.isTemporaryName`) are
/// deleted; links are never followed, and files directly in the root are not looked at (streams are its
/// folders). Meant for start-up, before anything writes new temporary files.
struct TemporaryFileSweeper {
    /// Full paths of temporary files that must stay (their committed rows could not be recovered yet).
    var keeping: Set<[UInt8]> = []
    private(set) var deleted = 0
    private(set) var problems: [String] = []
    /// Deeper than this is not a real inbox; stop rather than exhaust descriptors.
    static let maximumDepth = 128

    /// Sweeps every folder directly in `root`, recursively.
    mutating func sweepStreams(of root: [UInt8]) {
        let (fd, code) = FileCalls.tryOpen(root, flags: O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else {
            if code != ENOENT {
                problems.append(
                    OutputError.system(operation: "open", path: PathBytes.render(root), errno: code).description)
            }
            return
        }
        defer { FileCalls.close(fd) }
        for (name, type) in entries(of: fd, path: root) where isFolder(name, type: type, in: fd) {
            sweepFolder(name, in: fd, path: PathBytes.join([root, name]), depth: 1)
        }
    }

    private mutating func sweepFolder(_ name: [UInt8], in parent: Int32, path: [UInt8], depth: Int) {
        guard depth <= Self.maximumDepth else { return }
        let (fd, code) = FileCalls.tryOpen(name, in: parent, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard fd >= 0 else {
            // A folder that vanished or became a link meanwhile holds nothing of ours to sweep.
            if code != ENOENT && code != ELOOP && code != ENOTDIR {
                problems.append(
                    OutputError.system(operation: "open", path: PathBytes.render(path), errno: code).description)
            }
            return
        }
        defer { FileCalls.close(fd) }
        for (child, type) in entries(of: fd, path: path) {
            let childPath = PathBytes.join([path, child])
            if isFolder(child, type: type, in: fd) {
                sweepFolder(child, in: fd, path: childPath, depth: depth + 1)
            } else if OutputNaming.isTemporaryName(child) && !keeping.contains(childPath)
                && isRegularFile(child, type: type, in: fd)
            {
                let failure = FileCalls.unlink(child, in: fd)
                if failure == 0 {
                    deleted += 1
                } else if failure != ENOENT {
                    problems.append(
                        OutputError.system(operation: "unlink", path: PathBytes.render(childPath), errno: failure)
                            .description)
                }
            }
        }
    }

    /// The names and `d_type`s in an open folder, without `.` and `..`.
    private mutating func entries(of fd: Int32, path: [UInt8]) -> [(name: [UInt8], type: UInt8)] {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { FileCalls.close(copy) }
            problems.append(
                OutputError.system(operation: "opendir", path: PathBytes.render(path), errno: Glibc.errno).description)
            return []
        }
        defer { closedir(stream) }
        var result: [(name: [UInt8], type: UInt8)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == Array("..".utf8) { continue }
            result.append((name, entry.pointee.d_type))
        }
        return result
    }

    private func isFolder(_ name: [UInt8], type: UInt8, in fd: Int32) -> Bool {
        if Int(type) != Int(DT_UNKNOWN) { return Int(type) == Int(DT_DIR) }
        return FileCalls.status(name, in: fd).info.map(FileCalls.isFolder) ?? false
    }

    private func isRegularFile(_ name: [UInt8], type: UInt8, in fd: Int32) -> Bool {
        if Int(type) != Int(DT_UNKNOWN) { return Int(type) == Int(DT_REG) }
        return FileCalls.status(name, in: fd).info.map(FileCalls.isRegularFile) ?? false
    }
}
