import Glibc
import Testing

@testable import STMWatcher

/// Behaviour that exists only with inotify: open handles, the maximum wait, the kernel queue, watch limits.
extension InboxWatcherTests {
    /// Opens `path`, writes `pieces` with `pause` between them, calls `beforeClose`, and closes it.
    private static func writeSlowly(
        _ path: [UInt8], pieces: Int, pause: Duration, beforeClose: () -> Void
    ) async throws -> Int64 {
        let fd = ByteNames.withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        try Inbox.check(fd, "open", path)
        defer {
            beforeClose()
            close(fd)
        }
        var total: Int64 = 0
        for index in 0..<pieces {
            let piece = Array("piece \(index)\n".utf8)
            total += Int64(piece.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) })
            // The point of this test is a writer that pauses longer than the settle delay.
            if index < pieces - 1 { try await Task.sleep(for: pause) }
        }
        return total
    }

    @Test func slowWriterIsTakenOnceAfterClose() async throws {
        let inbox = try Inbox()
        // The maximum wait must not end the wait first, even when a loaded machine stretches the writer's pauses.
        var settings = WatchSettings.testing()
        settings.maximumWait = .seconds(120)
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }

        // Five pieces 250 ms apart: each pause is longer than the 150 ms settle delay.
        var openUntil = 0
        let size = try await Self.writeSlowly(inbox.path("s/slow.txt"), pieces: 5, pause: .milliseconds(250)) {
            openUntil = events.events.count
        }
        let document = try await events.document(bytes("slow.txt"))
        #expect(document.trigger == .closeWrite)
        #expect(document.size == size)
        try await inbox.barrier(events)
        #expect(events.documents(bytes("slow.txt")).count == 1)
        // Nothing was reported while it was open.
        #expect(
            events.events.prefix(openUntil).allSatisfy {
                if case .document(let c) = $0 { c.name != bytes("slow.txt") } else { true }
            })
    }

    @Test func maximumWaitTakesAFileHeldOpenThenItsCloseAgain() async throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.maximumWait = .milliseconds(500)
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }

        let path = inbox.path("s/endless.log")
        let fd = ByteNames.withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        try Inbox.check(fd, "open", path)
        _ = Array("first\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let early = try await events.document(bytes("endless.log"))
        #expect(early.trigger == .maximumWait)
        _ = Array("second\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let final = try await events.first("the close") { event in
            if case .document(let candidate) = event {
                return candidate.name == bytes("endless.log") && candidate.trigger == .closeWrite
            }
            return false
        }
        guard case .document(let closed) = final else { return }
        #expect(closed.size == 13)
    }

    @Test func reopeningWithoutWritingIsNotANewWriteButAnAppendIs() async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing())
        defer { watcher.stop() }

        try inbox.write("s/same.txt", "content")
        try await events.document(bytes("same.txt"))
        // Opened for writing and closed unchanged: IN_CLOSE_WRITE again, same size and mtime.
        let path = inbox.path("s/same.txt")
        let fd = ByteNames.withCString(path) { open($0, O_WRONLY | O_CLOEXEC) }
        try Inbox.check(fd, "open", path)
        close(fd)
        try await inbox.barrier(events)
        #expect(events.documents(bytes("same.txt")).count == 1)
        // A new write under the same name is reported again.
        let appender = ByteNames.withCString(path) { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) }
        _ = Array(" more".utf8).withUnsafeBytes { write(appender, $0.baseAddress, $0.count) }
        close(appender)
        try await events.first("the second write") { event in
            if case .document(let candidate) = event {
                return candidate.name == bytes("same.txt") && candidate.size == 12
            }
            return false
        }
        #expect(events.documents(bytes("same.txt")).count == 2)
    }

    @Test func overflowIsFollowedByACompleteRescan() async throws {
        let inbox = try Inbox()
        let hold = inbox.outside + "/hold"
        try Inbox.writeFile(Array(hold.utf8), "")
        var settings = WatchSettings.testing()
        settings.faultHooks.holdReadingWhileExists = hold
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }

        // More files than the kernel queues events for, while the watcher does not read.
        let limit = try #require(WatchError.sysctlValue("max_queued_events"))
        let count = limit + 16
        var names: Set<[UInt8]> = []
        names.reserveCapacity(count)
        for index in 0..<count {
            let name = "f\(index)"
            try inbox.write("s/\(name)", "x")
            names.insert(bytes(name))
        }
        #expect(unlink(hold) == 0)

        try await events.first("the overflow", within: .seconds(10)) { $0 == .overflow(root: inbox.root) }
        try await events.documents(covering: names, within: .seconds(20))
    }

    @Test func hiddenEventIsFoundByARescan() async throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.faultHooks.hiddenEventNames = ["secret-*"]
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }

        try inbox.write("s/secret-1.txt", "missed")
        try inbox.write("s/visible.txt", "seen")
        try await events.document(bytes("visible.txt"))
        try await inbox.barrier(events)
        #expect(events.documents(bytes("secret-1.txt")).isEmpty)

        // The daemon's reconciliation asks for a rescan: it reports every file, the missed one included.
        watcher.rescan(root: inbox.root, stream: "s")
        let found = try await events.document(bytes("secret-1.txt"))
        #expect(found.trigger == .scan)
        try await events.first("visible again") { event in
            if case .document(let c) = event { return c.name == bytes("visible.txt") && c.trigger == .scan }
            return false
        }
    }

    @Test func instanceLimitNamesTheSysctl() throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.faultHooks.failInotifyInit = true
        let watcher = try InboxWatcher(roots: [inbox.root], settings: settings)
        let error = #expect(throws: WatchError.self) { try watcher.start() }
        guard case .instanceLimit = error else {
            Issue.record("expected instanceLimit, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("fs.inotify.max_user_instances") == true)
        #expect(error?.description.contains("sysctl -w fs.inotify.max_user_instances=") == true)
    }

    @Test(arguments: [0, 1])
    func watchLimitAtStartNamesTheSysctl(successfulWatches: Int) throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.faultHooks.failAddWatchAfter = successfulWatches
        let watcher = try InboxWatcher(roots: [inbox.root], settings: settings)
        let error = #expect(throws: WatchError.self) { try watcher.start() }
        guard case .watchLimit(let path, _) = error else {
            Issue.record("expected watchLimit, got \(String(describing: error))")
            return
        }
        // The first watch is the root, the second its stream.
        #expect(path == (successfulWatches == 0 ? inbox.root : inbox.root + "/s"))
        let text = error?.description ?? ""
        #expect(text.contains("fs.inotify.max_user_watches"))
        #expect(text.contains("sysctl -w fs.inotify.max_user_watches="))
    }

    @Test func watchLimitWhileRunningFallsBackToPolling() async throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.faultHooks.failAddWatchAfter = 2  // the root and stream `s` are watched; the next one fails
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }
        #expect(!watcher.isPolling)

        try inbox.makeFolder("later")
        try await events.first("the watch limit") { event in
            if case .failure(.watchLimit(let path, _)) = event { return path == inbox.root + "/later" }
            return false
        }
        #expect(watcher.pollingRoots == [inbox.root])
        // Still watched, by polling: a new file in the new stream and one in the old stream are reported.
        try inbox.write("later/a.txt")
        try inbox.write("s/b.txt")
        #expect(try await events.document(bytes("a.txt")).stream == "later")
        try await events.first("b.txt polled") { event in
            if case .document(let c) = event { return c.name == bytes("b.txt") && c.trigger == .poll }
            return false
        }
        #expect(events.events.contains(.streamAdded(root: inbox.root, stream: "later")))
    }

    @Test func sameStreamNameInTwoRootsIsRefused() async throws {
        let first = try Inbox(streams: ["news", "a"])
        let second = try Inbox(streams: ["news", "b"])
        let error = #expect(throws: WatchError.self) {
            _ = try InboxWatcher(roots: [first.root, second.root], settings: .testing())
        }
        #expect(error == .duplicateStream(stream: "news", paths: [first.root + "/news", second.root + "/news"]))
        #expect(error?.description.contains(first.root + "/news") == true)
        #expect(error?.description.contains(second.root + "/news") == true)

        // Created while running: reported as a failure, and the second folder is not a stream.
        try second.removeTree("news")
        let watcher = try InboxWatcher(roots: [first.root, second.root], settings: .testing())
        let events = EventCollector.collecting(watcher)
        try watcher.start()
        defer { watcher.stop() }
        try await events.first("stream b") { $0 == .streamAdded(root: second.root, stream: "b") }
        try second.makeFolder("a")
        try await events.first("the duplicate") { event in
            if case .failure(.duplicateStream("a", let paths)) = event {
                return paths == [first.root + "/a", second.root + "/a"]
            }
            return false
        }
        #expect(!events.events.contains(.streamAdded(root: second.root, stream: "a")))
    }

    @Test func rootsAreValidated() throws {
        let inbox = try Inbox()
        #expect(throws: WatchError.rootNotFound(path: inbox.root + "/missing")) {
            _ = try InboxWatcher(roots: [inbox.root + "/missing"])
        }
        try inbox.write("file", "x")
        #expect(throws: WatchError.notADirectory(path: inbox.root + "/file")) {
            _ = try InboxWatcher(roots: [inbox.root + "/file"])
        }
        #expect(throws: WatchError.duplicateRoot(paths: [inbox.root, inbox.root + "/"])) {
            _ = try InboxWatcher(roots: [inbox.root, inbox.root + "/"])
        }
        let watcher = try InboxWatcher(roots: [inbox.root], settings: .testing())
        try watcher.start()
        defer { watcher.stop() }
        #expect(throws: WatchError.alreadyStarted) { try watcher.start() }
    }

    @Test func customPatternsCannotUnignoreTheDaemonsOwnFiles() async throws {
        let inbox = try Inbox()
        var settings = WatchSettings.testing()
        settings.ignorePatterns = ["*.log"]
        let (watcher, events) = try await startWatching(inbox, settings: settings)
        defer { watcher.stop() }

        for name in ["app.log", "a.txt.stm.json", "a.txt.stm.error.json", ".a.txt.stm.json.tmp1", "kept.tmp"] {
            try inbox.write("s/\(name)")
        }
        // The default globs were replaced, so `kept.tmp` is a document now; the built-in rules still hold.
        try await events.document(bytes("kept.tmp"))
        try await inbox.barrier(events)
        for name in ["app.log", "a.txt.stm.json", "a.txt.stm.error.json", ".a.txt.stm.json.tmp1"] {
            #expect(events.documents(bytes(name)).isEmpty, "\(name) was reported")
        }
    }

    @Test func nestedFolderRenamedWithinAStreamIsWatchedUnderItsNewName() async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing())
        defer { watcher.stop() }

        try inbox.makeFolder("s/old")
        try inbox.write("s/old/a.txt")
        try await events.document(bytes("old/a.txt"))
        try inbox.rename(inbox.path("s/old"), to: inbox.path("s/new"))
        try await events.document(bytes("new/a.txt"))  // the moved folder is scanned
        try inbox.write("s/new/b.txt")
        #expect(try await events.document(bytes("new/b.txt")).trigger == .closeWrite)
        try await inbox.barrier(events)
        #expect(events.documents(bytes("old/b.txt")).isEmpty)
    }
}
