import Foundation
import STMTesting
import Testing

@testable import STMDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The journal source against real journal files, written by `systemd-journal-remote` from export-format text
/// (the same files journald writes; no daemon needed). Skipped where the tool is missing.
@Suite(.serialized, .enabled(if: JournalFiles.tool != nil, "systemd-journal-remote is not installed (Debian: systemd-journal-remote)"))
struct JournalFollowerTests {
    /// Collects what a follower delivers.
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [JournalEntry] = []
        var entries: [JournalEntry] { lock.withLock { received } }
        func add(_ batch: [JournalEntry]) { lock.withLock { received.append(contentsOf: batch) } }

        func wait(for count: Int, timeout: Double = 10) async -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if entries.count >= count { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return entries.count >= count
        }
    }

    func follow(_ source: JournalSourceSettings, checkpoint: String? = nil) throws -> (JournalFollower, Sink) {
        let sink = Sink()
        let follower = try JournalFollower(sources: [source], checkpoints: checkpoint.map { [source.name: $0] } ?? [:]) { _, batch in
            sink.add(batch)
        }
        follower.start()
        return (follower, sink)
    }

    @Test func readsFromTheHeadThenFollowsAppendedEntries() async throws {
        let folder = try TemporaryDirectory()
        let file = folder.path + "/system.journal"
        try JournalFiles.append(to: file, (0..<3).map { .init(message: "line \($0)", identifier: "app") })
        let (follower, sink) = try follow(JournalSourceSettings(name: "all", location: .directory(folder.path), start: .head))
        defer { follower.stop() }
        #expect(await sink.wait(for: 3))
        try JournalFiles.append(to: file, [.init(message: "line 3", identifier: "app", index: 3)])
        #expect(await sink.wait(for: 4))
        #expect(sink.entries.map(\.message) == ["line 0", "line 1", "line 2", "line 3"])
        #expect(sink.entries.allSatisfy { $0.stream == "app" && $0.priority == 6 && !$0.cursor.isEmpty })
        #expect(sink.entries.map(\.realtimeMicroseconds) == [0, 1, 2, 3].map { JournalFiles.time($0) })
    }

    @Test func aRestartAtTheCheckpointNeitherReplaysNorSkips() async throws {
        let folder = try TemporaryDirectory()
        let file = folder.path + "/system.journal"
        try JournalFiles.append(to: file, (0..<5).map { .init(message: "m\($0)", identifier: "app") })
        let source = JournalSourceSettings(name: "app", location: .directory(folder.path), start: .head)
        var (follower, sink) = try follow(source)
        #expect(await sink.wait(for: 5))
        follower.stop()
        let checkpoint = sink.entries[2].cursor  // entries 0…2 processed before the "crash"
        try JournalFiles.append(to: file, (5..<7).map { n in JournalFiles.Entry(message: "m" + String(n), identifier: "app", index: n) })
        (follower, sink) = try follow(source, checkpoint: checkpoint)
        defer { follower.stop() }
        #expect(await sink.wait(for: 4))
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.entries.map(\.message) == ["m3", "m4", "m5", "m6"])
    }

    /// The checkpointed entry was vacuumed (its file deleted): the follower starts at the next entry that exists,
    /// not one later.
    @Test func aVacuumedCheckpointResumesAtTheNextEntry() async throws {
        let folder = try TemporaryDirectory()
        let old = folder.path + "/system@old.journal"
        try JournalFiles.append(to: old, (0..<3).map { n in JournalFiles.Entry(message: "m" + String(n), identifier: "app", index: n) })
        let source = JournalSourceSettings(name: "app", location: .directory(folder.path), start: .head)
        var (follower, sink) = try follow(source)
        #expect(await sink.wait(for: 3))
        follower.stop()
        let checkpoint = sink.entries[1].cursor
        try JournalFiles.append(
            to: folder.path + "/system.journal", (3..<5).map { n in JournalFiles.Entry(message: "m" + String(n), identifier: "app", index: n) })
        try FileManager.default.removeItem(atPath: old)
        (follower, sink) = try follow(source, checkpoint: checkpoint)
        defer { follower.stop() }
        #expect(await sink.wait(for: 2))
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.entries.map(\.message) == ["m3", "m4"])
    }

    @Test func withoutACheckpointTheTailStartsWithNewEntriesOnly() async throws {
        let folder = try TemporaryDirectory()
        let file = folder.path + "/system.journal"
        try JournalFiles.append(to: file, (0..<3).map { .init(message: "old \($0)", identifier: "app") })
        let (follower, sink) = try follow(JournalSourceSettings(name: "tail", location: .directory(folder.path), start: .tail))
        defer { follower.stop() }
        try await Task.sleep(for: .milliseconds(200))
        try JournalFiles.append(to: file, [.init(message: "new", identifier: "app", index: 3)])
        #expect(await sink.wait(for: 1))
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.entries.map(\.message) == ["new"])
    }

    @Test func matchesPriorityLimitAndOwnEntries() async throws {
        let folder = try TemporaryDirectory()
        let file = folder.path + "/system.journal"
        try JournalFiles.append(
            to: file,
            [
                .init(message: "nginx info", identifier: "nginx", unit: "nginx.service"),
                .init(message: "sshd error", identifier: "sshd", unit: "ssh.service", priority: 3, index: 1),
                .init(message: "nginx error", identifier: "nginx", unit: "nginx.service", priority: 3, index: 2),
                .init(message: "stmd's own alert", identifier: "stmd", unit: "nginx.service", priority: 3, index: 3),
            ])
        let source = JournalSourceSettings(
            name: "web", location: .directory(folder.path), matches: ["_SYSTEMD_UNIT=nginx.service"], maximumPriority: 4,
            start: .head)
        let (follower, sink) = try follow(source)
        defer { follower.stop() }
        #expect(await sink.wait(for: 1))
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.entries.map(\.message) == ["nginx error"])
        #expect(sink.entries.first?.stream == "nginx.service")
    }

    /// A new journal file in the directory (what rotation does) invalidates the reader; it keeps its place and
    /// reads the new file's entries.
    @Test func aNewFileInTheDirectoryIsPickedUpAfterInvalidation() async throws {
        let folder = try TemporaryDirectory()
        try JournalFiles.append(to: folder.path + "/system.journal", (0..<2).map { .init(message: "first \($0)", identifier: "app") })
        let (follower, sink) = try follow(JournalSourceSettings(name: "rotating", location: .directory(folder.path), start: .head))
        defer { follower.stop() }
        #expect(await sink.wait(for: 2))
        try JournalFiles.append(
            to: folder.path + "/system@rotated.journal", [.init(message: "after rotation", identifier: "app", index: 2)])
        #expect(await sink.wait(for: 3))
        #expect(sink.entries.map(\.message) == ["first 0", "first 1", "after rotation"])
    }

    @Test func badMatchesAndCursorsAreClearErrors() throws {
        let folder = try TemporaryDirectory()
        try JournalFiles.append(to: folder.path + "/system.journal", [.init(message: "x", identifier: "app")])
        #expect(throws: JournalError.self) {
            _ = try JournalFollower(
                sources: [JournalSourceSettings(name: "bad", location: .directory(folder.path), matches: ["no equals sign"])],
                checkpoints: [:]) { _, _ in }
        }
        do {
            _ = try JournalFollower(
                sources: [JournalSourceSettings(name: "bad", location: .directory(folder.path))], checkpoints: ["bad": "garbage"]
            ) { _, _ in }
            Issue.record("a garbage cursor was accepted")
        } catch {
            #expect(error.description.contains("journal cursor 'garbage' is not valid"))
        }
    }
}
