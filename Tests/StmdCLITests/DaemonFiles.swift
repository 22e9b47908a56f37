import Foundation
import STMTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// File-system calls on raw byte paths, for the daemon tests: names that are not UTF-8 or hold a newline, and
/// entries that must never be followed (symlinks) or opened (FIFOs). Independent of the code under test.
enum RawFS {
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var path: [UInt8]
        var code: Int32
        var description: String {
            "\(operation) \(String(decoding: path, as: UTF8.self).debugDescription): \(String(cString: strerror(code)))"
        }
    }

    static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let bytes = path.map { CChar(bitPattern: $0) } + [0]
        return bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// `lstat`: never follows a link.
    static func status(_ path: [UInt8]) -> stat? {
        var info = stat()
        return withCPath(path) { lstat($0, &info) } == 0 ? info : nil
    }

    static func exists(_ path: [UInt8]) -> Bool { status(path) != nil }
    static func exists(_ path: String) -> Bool { exists(Array(path.utf8)) }

    static func isRegularFile(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

    /// Creates or truncates a regular file and writes `bytes` (never through a link).
    static func write(_ bytes: [UInt8], to path: [UInt8]) throws {
        let fd = withCPath(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644) }
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: Array(path.utf8)) }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, code: errno)
            }
            offset += count
        }
    }

    /// The bytes of a regular file, or nil when it is missing or anything else (never follows, never blocks).
    static func read(_ path: [UInt8]) -> [UInt8]? {
        let fd = withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, isRegularFile(info) else { return nil }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            contents += chunk[..<count]
        }
        return contents
    }

    static func read(_ path: String) -> [UInt8]? { read(Array(path.utf8)) }

    static func rename(_ from: [UInt8], _ to: [UInt8]) throws {
        let result = withCPath(from) { source in withCPath(to) { Glibc.rename(source, $0) } }
        guard result == 0 else { throw Failure(operation: "rename", path: from, code: errno) }
    }

    static func rename(_ from: String, _ to: String) throws { try rename(Array(from.utf8), Array(to.utf8)) }

    static func unlink(_ path: [UInt8]) throws {
        guard withCPath(path, { Glibc.unlink($0) }) == 0 else {
            throw Failure(operation: "unlink", path: path, code: errno)
        }
    }

    static func unlink(_ path: String) throws { try unlink(Array(path.utf8)) }

    static func makeDirectory(_ path: String) throws {
        guard withCPath(Array(path.utf8), { mkdir($0, 0o755) }) == 0 else {
            throw Failure(operation: "mkdir", path: Array(path.utf8), code: errno)
        }
    }

    static func symlink(_ target: String, at path: String) throws {
        guard Glibc.symlink(target, path) == 0 else {
            throw Failure(operation: "symlink", path: Array(path.utf8), code: errno)
        }
    }

    static func makeFIFO(_ path: String) throws {
        guard mkfifo(path, 0o644) == 0 else { throw Failure(operation: "mkfifo", path: Array(path.utf8), code: errno) }
    }

    /// Names in a folder, without `.` and `..`; empty when it cannot be listed.
    static func names(in directory: [UInt8]) -> [[UInt8]] {
        guard let stream = withCPath(directory, { opendir($0) }) else { return [] }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    static func names(in directory: String) -> [[UInt8]] { names(in: Array(directory.utf8)) }

    /// Every entry below `root` that is not a folder (links are not followed), as full paths.
    static func files(under root: [UInt8]) -> [[UInt8]] {
        var found: [[UInt8]] = []
        var pending = [root]
        while let folder = pending.popLast() {
            for name in names(in: folder) {
                let path = folder + [0x2F] + name
                guard let info = status(path) else { continue }
                if info.st_mode & S_IFMT == S_IFDIR { pending.append(path) } else { found.append(path) }
            }
        }
        return found
    }

    static func files(under root: String) -> [[UInt8]] { files(under: Array(root.utf8)) }

    static func baseName(_ path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: 0x2F) else { return path }
        return Array(path[(slash + 1)...])
    }
}

extension [UInt8] {
    /// For messages: the bytes as text, invalid UTF-8 replaced.
    var shown: String { String(decoding: self, as: UTF8.self).debugDescription }
    func ends(with suffix: String) -> Bool {
        let tail = Array(suffix.utf8)
        return count >= tail.count && self[(count - tail.count)...].elementsEqual(tail)
    }
}

/// What an input looked like: kind, size, times, inode and bytes (a link's target instead). Taken before the
/// daemon sees a file and again at the end, to show the daemon never changes its inputs.
struct InputSnapshot: Equatable, CustomStringConvertible {
    var mode: UInt32
    var size: Int64
    var modificationNanoseconds: Int64
    var changeNanoseconds: Int64
    var inode: UInt64
    var contents: [UInt8]?
    var linkTarget: [UInt8]?

    static func take(_ path: [UInt8]) -> InputSnapshot? {
        guard let info = RawFS.status(path) else { return nil }
        var snapshot = InputSnapshot(
            mode: UInt32(info.st_mode), size: Int64(info.st_size),
            modificationNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            inode: UInt64(info.st_ino), contents: nil, linkTarget: nil)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // A mode-000 file is read by the test only when it can be (root): the bytes are then compared too.
            snapshot.contents = RawFS.read(path)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = RawFS.withCPath(path) { readlink($0, &buffer, buffer.count) }
            if count >= 0 { snapshot.linkTarget = buffer[..<count].map { UInt8(bitPattern: $0) } }
        default:
            break
        }
        return snapshot
    }

    static func take(_ path: String) -> InputSnapshot? { take(Array(path.utf8)) }

    var description: String {
        "mode \(String(mode, radix: 8)), \(size) bytes, mtime \(modificationNanoseconds), ctime \(changeNanoseconds), "
            + "inode \(inode)"
    }
}

/// Snapshots of inputs, compared at the end of a test.
struct InputLedger {
    private(set) var snapshots: [[UInt8]: InputSnapshot] = [:]

    mutating func record(_ path: [UInt8]) {
        snapshots[path] = InputSnapshot.take(path)
    }

    mutating func record(_ path: String) { record(Array(path.utf8)) }

    /// Every recorded input is byte for byte, time for time what it was.
    func expectUnchanged(sourceLocation: SourceLocation = #_sourceLocation) {
        for (path, before) in snapshots.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let after = InputSnapshot.take(path)
            #expect(
                after == before, "input \(path.shown) changed: \(before) → \(after.map(\.description) ?? "gone")",
                sourceLocation: sourceLocation)
        }
    }
}

/// The daemon's outputs as docs/ANNOTATION.md describes them, checked against the inputs.
enum DaemonOutputs {
    static let annotationSuffix = Array(".stm.json".utf8)
    static let errorSuffix = Array(".stm.error.json".utf8)

    static func annotationPath(_ input: [UInt8]) -> [UInt8] { input + annotationSuffix }
    static func errorPath(_ input: [UInt8]) -> [UInt8] { input + errorSuffix }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hex(of: SHA256.hash(bytes)) }

    /// The annotation beside `input` parsed, or nil when it is missing or not a JSON object.
    static func annotation(of input: [UInt8]) -> [String: Any]? {
        guard let bytes = RawFS.read(annotationPath(input)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// True when the annotation beside `input` describes the input's current bytes.
    static func isCurrent(_ input: [UInt8]) -> Bool {
        guard let object = annotation(of: input), let bytes = RawFS.read(input),
            let sha = (object["input"] as? [String: Any])?["sha256"] as? String
        else { return false }
        return sha == sha256(bytes)
    }

    /// The name as `input.name` writes it: the name itself when it is UTF-8, else every invalid byte as `\xNN`
    /// (and every backslash doubled). Written out here from docs/ANNOTATION.md, not taken from the code.
    static func expectedName(_ bytes: [UInt8]) -> (name: String, base64: String?) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, nil) }
        var name = ""
        var index = 0
        while index < bytes.count {
            // Longest valid UTF-8 sequence at `index`, else one escaped byte.
            var matched = false
            for length in (1...4).reversed() where index + length <= bytes.count {
                if let piece = String(validating: bytes[index..<(index + length)], as: UTF8.self),
                    piece.unicodeScalars.count == 1
                {
                    name += piece == "\\" ? "\\\\" : piece
                    index += length
                    matched = true
                    break
                }
            }
            if !matched {
                name += "\\x" + String(format: "%02X", bytes[index])
                index += 1
            }
        }
        return (name, Data(bytes).base64EncodedString())
    }

    /// Checks the annotation beside `input`: present, one JSON object, `schema` "stmd.annotation", the stream,
    /// `input.sha256`/`size`/`name` of the file's current bytes and name, the daemon's relative path; and no error
    /// output beside it. Returns the object.
    @discardableResult
    static func expectAnnotation(
        of input: [UInt8], stream: String, relativePath: String? = nil, tasks: Set<String> = ["topic"],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        let outputBytes = try #require(
            RawFS.read(annotationPath(input)), "no annotation for \(input.shown)", sourceLocation: sourceLocation)
        let value = try JSONSerialization.jsonObject(with: Data(outputBytes))
        let object = try #require(
            value as? [String: Any], "not a JSON object: \(input.shown)", sourceLocation: sourceLocation)
        #expect(object["schema"] as? String == "stmd.annotation", sourceLocation: sourceLocation)
        #expect(object["schema_version"] as? Int == 1, sourceLocation: sourceLocation)
        #expect(object["stream"] as? String == stream, "stream of \(input.shown)", sourceLocation: sourceLocation)
        let inputSection = try #require(object["input"] as? [String: Any], sourceLocation: sourceLocation)
        let bytes = try #require(RawFS.read(input), "input \(input.shown) unreadable", sourceLocation: sourceLocation)
        #expect(
            inputSection["sha256"] as? String == sha256(bytes), "sha256 of \(input.shown)",
            sourceLocation: sourceLocation)
        #expect(inputSection["size"] as? Int == bytes.count, sourceLocation: sourceLocation)
        let name = expectedName(RawFS.baseName(input))
        #expect(inputSection["name"] as? String == name.name, sourceLocation: sourceLocation)
        #expect(inputSection["name_base64"] as? String == name.base64, sourceLocation: sourceLocation)
        let results = try #require(object["tasks"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(Set(results.keys) == tasks, sourceLocation: sourceLocation)
        if let relativePath {
            let daemon = object["daemon"] as? [String: Any]
            #expect(daemon?["relative_path"] as? String == relativePath, sourceLocation: sourceLocation)
        }
        #expect(
            !RawFS.exists(errorPath(input)), "\(input.shown) has both an annotation and an error output",
            sourceLocation: sourceLocation)
        #expect(outputBytes.last != 0x0A, "one line, no trailing newline", sourceLocation: sourceLocation)
        return object
    }

    /// Checks the error output beside `input`: `schema` "stmd.error", the stream, the error code, the name; and
    /// no annotation beside it. Returns the object.
    @discardableResult
    static func expectError(
        of input: [UInt8], stream: String, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        let bytes = try #require(
            RawFS.read(errorPath(input)), "no error output for \(input.shown)", sourceLocation: sourceLocation)
        let value = try JSONSerialization.jsonObject(with: Data(bytes))
        let object = try #require(value as? [String: Any], sourceLocation: sourceLocation)
        #expect(object["schema"] as? String == "stmd.error", sourceLocation: sourceLocation)
        #expect(object["schema_version"] as? Int == 1, sourceLocation: sourceLocation)
        #expect(object["stream"] as? String == stream, sourceLocation: sourceLocation)
        let error = try #require(object["error"] as? [String: Any], "\(object)", sourceLocation: sourceLocation)
        #expect(error["code"] as? String == code, "error of \(input.shown): \(error)", sourceLocation: sourceLocation)
        let inputSection = try #require(object["input"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(
            inputSection["name"] as? String == expectedName(RawFS.baseName(input)).name, sourceLocation: sourceLocation)
        #expect(
            !RawFS.exists(annotationPath(input)), "\(input.shown) has both an annotation and an error output",
            sourceLocation: sourceLocation)
        return object
    }

    /// The daemon's temporary files (`.<name>.stm.json.tmp-…`, `.<name>.stm.error.json.tmp-…`) below `root`.
    static func temporaryFiles(under root: String) -> [String] {
        RawFS.files(under: root).filter { path in
            let name = RawFS.baseName(path)
            guard name.first == 0x2E else { return false }
            let text = String(decoding: name, as: UTF8.self)
            return text.contains(".stm.json.tmp") || text.contains(".stm.error.json.tmp")
        }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Annotations (`*.stm.json`) directly in `folder`.
    static func annotationCount(in folder: String) -> Int {
        RawFS.names(in: folder).count { $0.ends(with: ".stm.json") && !$0.ends(with: ".stm.error.json") }
    }
}

/// Waits for `condition`, checking it every `interval`, until it holds or `timeout` seconds have passed.
/// Returns whether it held. This is how the daemon tests wait: on an observable outcome, with a deadline.
func eventually(
    timeout: Double, interval: Duration = .milliseconds(5), _ condition: () throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// `eventually` for a condition that has to await (a `stmd status` run).
func eventuallyAsync(
    timeout: Double, interval: Duration = .milliseconds(5), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Runs a command-line tool (cp, rsync, tar, sqlite3) to completion, with a deadline.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], in directory: String, timeout: Double = 30) async throws
    -> ProcessResult
{
    let running = try RunningProcess(
        executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
        directory: directory)
    let result = try await Stmd.waitOffThePool(running, timeout: timeout)
    try #require(result.exitedCleanly, "\(result)")
    return result
}

/// The first of `names` found in the usual binary folders.
func findTool(_ name: String) -> String? {
    ["/usr/bin/", "/bin/", "/usr/local/bin/", "/usr/sbin/", "/sbin/"].map { $0 + name }.first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
}
