import Foundation
import Glibc
import STMTesting
import Testing

@testable import STMWatcher

/// How a test watches: through inotify, or by polling (`forcePolling`).
enum WatchMode: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inotify, polling
    var testDescription: String { rawValue }
}

/// A temporary inbox root with stream folders, a folder outside it on the same filesystem (for renames and
/// hard links), and file operations on raw-byte names.
final class Inbox: Sendable {
    let directory: TemporaryDirectory
    let root: String
    let outside: String

    init(streams: [String] = ["s"]) throws {
        directory = try TemporaryDirectory(prefix: "stmd-watch")
        root = directory.path + "/inbox"
        outside = directory.path + "/outside"
        try Inbox.check(mkdir(root, 0o755), "mkdir", root)
        try Inbox.check(mkdir(outside, 0o755), "mkdir", outside)
        for stream in streams { try makeFolder(stream) }
    }

    /// Raw bytes of `root/relative`.
    func path(_ relative: [UInt8]) -> [UInt8] { Array(root.utf8) + [UInt8(ascii: "/")] + relative }
    func path(_ relative: String) -> [UInt8] { path(Array(relative.utf8)) }
    func outsidePath(_ name: String) -> [UInt8] { Array((outside + "/" + name).utf8) }

    func makeFolder(_ relative: String) throws { try makeFolder(Array(relative.utf8)) }
    func makeFolder(_ relative: [UInt8]) throws {
        let target = path(relative)
        try Inbox.check(ByteNames.withCString(target) { mkdir($0, 0o755) }, "mkdir", target)
    }

    /// open(O_CREAT|O_TRUNC) + one write + close: one IN_CLOSE_WRITE.
    func write(_ relative: String, _ content: String = "hello") throws { try write(Array(relative.utf8), content) }
    func write(_ relative: [UInt8], _ content: String = "hello") throws {
        try Inbox.writeFile(path(relative), content)
    }

    static func writeFile(_ target: [UInt8], _ content: String) throws {
        let fd = ByteNames.withCString(target) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        try check(fd, "open", target)
        defer { close(fd) }
        let bytes = Array(content.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        try check(written == bytes.count ? 0 : -1, "write", target)
    }

    func rename(_ from: [UInt8], to: [UInt8]) throws {
        let result = ByteNames.withCString(from) { a in ByteNames.withCString(to) { b in Glibc.rename(a, b) } }
        try Inbox.check(result, "rename", from)
    }

    func link(_ from: [UInt8], to: [UInt8]) throws {
        let result = ByteNames.withCString(from) { a in ByteNames.withCString(to) { b in Glibc.link(a, b) } }
        try Inbox.check(result, "link", to)
    }

    func symlink(target: String, at relative: String) throws {
        let result = ByteNames.withCString(path(relative)) { Glibc.symlink(target, $0) }
        try Inbox.check(result, "symlink", path(relative))
    }

    func makeFIFO(_ target: [UInt8]) throws {
        try Inbox.check(ByteNames.withCString(target) { mkfifo($0, 0o644) }, "mkfifo", target)
    }

    func removeTree(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: root + "/" + relative)
    }

    /// Writes a file outside, then hard-links it in: a file that is created and never closed, so it is taken
    /// by the settle rule — the slowest path. Once its document arrives, every event caused by earlier
    /// changes has been reported too, so a test can then assert what did *not* happen.
    func barrier(_ events: EventCollector, stream: String = "s") async throws {
        let name = "zz-barrier-\(UInt64.random(in: 0...UInt64.max))"
        try Inbox.writeFile(outsidePath(name), "barrier")
        try link(outsidePath(name), to: path("\(stream)/\(name)"))
        try await events.document(Array(name.utf8), within: .seconds(10))
    }

    static func check(_ result: Int32, _ call: String, _ target: String) throws {
        guard result >= 0 else { throw FileError(call: call, path: target, code: errno) }
    }
    static func check(_ result: Int32, _ call: String, _ target: [UInt8]) throws {
        guard result >= 0 else { throw FileError(call: call, path: ByteNames.display(target), code: errno) }
    }

    struct FileError: Error, CustomStringConvertible {
        let call: String, path: String, code: Int32
        var description: String { "\(call) \(path): errno \(code)" }
    }
}

extension WatchSettings {
    /// Short timers so the suite stays fast; `mode` picks inotify or polling.
    static func testing(_ mode: WatchMode = .inotify) -> WatchSettings {
        var settings = WatchSettings()
        settings.settleDelay = .milliseconds(150)
        settings.maximumWait = .seconds(5)
        settings.pollInterval = .milliseconds(100)
        settings.forcePolling = mode == .polling
        return settings
    }
}

/// A started watcher on `inbox` with its event log. `ready` files written into each stream before start are
/// awaited, so the start-up scan is over when this returns (and later files take the event or polling path).
func startWatching(
    _ inbox: Inbox, streams: [String] = ["s"], settings: WatchSettings
) async throws -> (InboxWatcher, EventCollector) {
    for stream in streams { try inbox.write("\(stream)/ready", "ready") }
    let watcher = try InboxWatcher(roots: [inbox.root], settings: settings)
    let events = EventCollector.collecting(watcher)
    try watcher.start()
    for stream in streams {
        try await events.first("the start-up scan of \(stream)") { event in
            if case .document(let candidate) = event {
                return candidate.stream == stream && candidate.relativePath == Array("ready".utf8)
            }
            return false
        }
    }
    return (watcher, events)
}

/// Raw bytes of a UTF-8 string, for comparing with `relativePath`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
