import Foundation
import Glibc
import Testing

@testable import STMWatcher

/// The watcher on real folders: every case here runs with inotify and with polling. One suite, serialized:
/// the tests share two cores and the inotify limits.
@Suite(.serialized)
struct InboxWatcherTests {
    /// The trigger a test expects: the inotify one, or `.poll` when polling.
    private func expected(_ trigger: FileCandidate.Trigger, _ mode: WatchMode) -> FileCandidate.Trigger {
        mode == .polling ? .poll : trigger
    }

    @Test(arguments: WatchMode.allCases)
    func writeAndCloseIsTakenOnce(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        try inbox.write("s/a.txt", "twelve bytes")
        let document = try await events.document(bytes("a.txt"))
        #expect(document.trigger == expected(.closeWrite, mode))
        #expect(document.root == inbox.root)
        #expect(document.stream == "s" && document.streamName == bytes("s"))
        #expect(document.path == inbox.path("s/a.txt"))
        #expect(document.size == 12)
        #expect(document.name == bytes("a.txt"))

        try await inbox.barrier(events)
        #expect(events.documents(bytes("a.txt")).count == 1)
    }

    @Test(arguments: WatchMode.allCases)
    func renameFromOutsideIsTaken(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        try Inbox.writeFile(inbox.outsidePath("moved.txt"), "from elsewhere")
        try inbox.rename(inbox.outsidePath("moved.txt"), to: inbox.path("s/moved.txt"))
        let document = try await events.document(bytes("moved.txt"))
        #expect(document.trigger == expected(.movedTo, mode))
        #expect(document.size == 14)
    }

    @Test(arguments: WatchMode.allCases)
    func copyWithCpIsTaken(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        let source = inbox.outside + "/copied.txt"
        try Inbox.writeFile(Array(source.utf8), String(repeating: "x", count: 100_000))
        let cp = Process()
        cp.executableURL = URL(fileURLWithPath: "/bin/cp")
        cp.arguments = [source, inbox.root + "/s/copied.txt"]
        try cp.run()
        cp.waitUntilExit()
        #expect(cp.terminationStatus == 0)

        let document = try await events.document(bytes("copied.txt"))
        #expect(document.trigger == expected(.closeWrite, mode))
        #expect(document.size == 100_000)
        try await inbox.barrier(events)
        #expect(events.documents(bytes("copied.txt")).count == 1)
    }

    @Test(arguments: WatchMode.allCases)
    func hardLinkIsTakenOnceSettled(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        try Inbox.writeFile(inbox.outsidePath("linked.txt"), "linked")
        let linkedAt = ContinuousClock.now
        try inbox.link(inbox.outsidePath("linked.txt"), to: inbox.path("s/linked.txt"))
        let document = try await events.document(bytes("linked.txt"))
        // Created, never closed: taken only after the settle delay of stable size and mtime.
        #expect(ContinuousClock.now - linkedAt >= .milliseconds(150))
        #expect(document.trigger == expected(.settled, mode))
        #expect(document.size == 6)
        try await inbox.barrier(events)
        #expect(events.documents(bytes("linked.txt")).count == 1)
    }

    @Test(arguments: WatchMode.allCases)
    func specialFilesAreRejectedWithoutBeingOpened(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        // A FIFO outside, and a symlink to it inside: following the link and opening it would block.
        let outsideFIFO = inbox.outsidePath("pipe")
        try inbox.makeFIFO(outsideFIFO)
        try inbox.symlink(target: inbox.outside + "/pipe", at: "s/link-to-pipe")
        try inbox.makeFIFO(inbox.path("s/fifo"))
        let socketPath = inbox.root + "/s/sock"
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try Inbox.check(bound, "bind", socketPath)
        // A character device where this process may create one (root); skipped otherwise.
        let madeDevice = ByteNames.withCString(inbox.path("s/device")) { mknod($0, S_IFCHR | 0o600, 0) } == 0

        func rejection(_ name: String) async throws -> (FileCandidate, RejectionReason) {
            let event = try await events.first("a rejection of \(name)") { event in
                if case .rejected(let candidate, _) = event { return candidate.relativePath == bytes(name) }
                return false
            }
            guard case .rejected(let candidate, let reason) = event else {
                throw EventCollector.Timeout(what: name, recent: [])
            }
            return (candidate, reason)
        }
        let (link, linkReason) = try await rejection("link-to-pipe")
        #expect(linkReason == .symbolicLink)
        #expect(link.trigger == expected(.created, mode))
        #expect(link.size == Int64((inbox.outside + "/pipe").utf8.count))  // the link itself, not its target
        #expect(try await rejection("fifo").1 == .fifo)
        #expect(try await rejection("sock").1 == .socket)
        if madeDevice { #expect(try await rejection("device").1 == .characterDevice) }

        // Nobody holds either FIFO open for reading: a non-blocking writer finds no reader (ENXIO).
        for fifo in [inbox.path("s/fifo"), outsideFIFO] {
            let fd = ByteNames.withCString(fifo) { open($0, O_WRONLY | O_NONBLOCK | O_CLOEXEC) }
            let code = errno
            if fd >= 0 { close(fd) }
            #expect(fd == -1 && code == ENXIO, "\(ByteNames.display(fifo)) was opened by someone")
        }
        try await inbox.barrier(events)
        for name in ["link-to-pipe", "fifo", "sock", "device"] { #expect(events.documents(bytes(name)).isEmpty) }
    }

    @Test(arguments: WatchMode.allCases)
    func subfolderCreatedAndFilledAtOnceIsFullyReported(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        // No pause between mkdir and the writes: some files exist before the folder's watch does.
        var sizes: [[UInt8]: Int64] = [:]
        try inbox.makeFolder("s/sub")
        for index in 0..<20 {
            try inbox.write("s/sub/f\(index).txt", "file \(index)")
            sizes[bytes("sub/f\(index).txt")] = Int64("file \(index)".utf8.count)
        }
        try inbox.makeFolder("s/sub/deeper")
        try inbox.makeFolder("s/sub/deeper/deepest")
        try inbox.write("s/sub/deeper/deepest/g.txt", "deep")
        sizes[bytes("sub/deeper/deepest/g.txt")] = 4
        let expectedPaths = Set(sizes.keys)

        try await events.documents(covering: expectedPaths, within: .seconds(10))
        try await inbox.barrier(events)
        // One write is reported once: never two documents with the same size and mtime for a path.
        for path in expectedPaths {
            let seen = events.documents(path).map { "\($0.size)/\($0.modificationTime)" }
            #expect(Set(seen).count == seen.count, "\(ByteNames.display(path)) reported twice: \(seen)")
            #expect(events.documents(path).last?.size == sizes[path])
            #expect(events.documents(path).first?.stream == "s")
        }
    }

    @Test(arguments: WatchMode.allCases)
    func streamsComeAndGoWhileRunning(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }
        let root = inbox.root

        try inbox.makeFolder("fresh")
        try await events.first("fresh added") { $0 == .streamAdded(root: root, stream: "fresh") }
        try inbox.write("fresh/one.txt")
        #expect(try await events.document(bytes("one.txt")).stream == "fresh")

        try inbox.rename(inbox.path("fresh"), to: inbox.path("renamed"))
        try await events.first("fresh removed") { $0 == .streamRemoved(root: root, stream: "fresh") }
        try await events.first("renamed added") { $0 == .streamAdded(root: root, stream: "renamed") }
        try inbox.write("renamed/two.txt")
        let two = try await events.document(bytes("two.txt"))
        #expect(two.stream == "renamed" && two.path == inbox.path("renamed/two.txt"))

        // A folder with files moved in from outside: a stream whose files are all reported.
        try inbox.makeFolder(Array("../outside/incoming".utf8))
        try Inbox.writeFile(inbox.outsidePath("incoming/three.txt"), "3")
        try inbox.rename(inbox.outsidePath("incoming"), to: inbox.path("incoming"))
        try await events.first("incoming added") { $0 == .streamAdded(root: root, stream: "incoming") }
        #expect(try await events.document(bytes("three.txt")).stream == "incoming")

        try inbox.removeTree("renamed")
        try await events.first("renamed removed") { $0 == .streamRemoved(root: root, stream: "renamed") }
        try inbox.rename(inbox.path("incoming"), to: inbox.outsidePath("gone"))
        try await events.first("incoming removed") { $0 == .streamRemoved(root: root, stream: "incoming") }
        // Announced before any of its documents, removed after them.
        let log = events.events
        let added = log.firstIndex(of: .streamAdded(root: root, stream: "renamed"))!
        let removed = log.firstIndex(of: .streamRemoved(root: root, stream: "renamed"))!
        let document = log.firstIndex { if case .document(let c) = $0 { c.stream == "renamed" } else { false } }!
        #expect(added < document && document < removed)
    }

    @Test(arguments: WatchMode.allCases)
    func fileDirectlyInRootIsNotADocument(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        try Inbox.writeFile(Array((inbox.root + "/stray.txt").utf8), "not in a stream")
        try await events.first("stray.txt in root") { $0 == .fileInRoot(root: inbox.root, name: bytes("stray.txt")) }
        try await inbox.barrier(events)
        #expect(events.documents(bytes("stray.txt")).isEmpty)
    }

    @Test(arguments: WatchMode.allCases)
    func ignoredNamesAndTheDaemonsOwnFilesProduceNothing(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }

        let ignored = [
            ".hidden", "notes.txt~", ".notes.txt.swp", "x.swp", "build.tmp", "big.iso.part", "movie.crdownload",
            "doc.txt.stm.json", "doc.txt.stm.error.json", ".doc.txt.stm.json.tmp1234",
        ]
        for name in ignored { try inbox.write("s/\(name)") }
        // The daemon's atomic output: a hidden temporary file renamed onto `<name>.stm.json`.
        try inbox.write("s/.out.txt.stm.json.tmpABCD", "{}")
        try inbox.rename(inbox.path("s/.out.txt.stm.json.tmpABCD"), to: inbox.path("s/out.txt.stm.json"))
        // rsync: a hidden temporary name renamed onto the real one — only the real name is a document.
        try inbox.write("s/.report.txt.Xy12Zq", "report")
        try inbox.rename(inbox.path("s/.report.txt.Xy12Zq"), to: inbox.path("s/report.txt"))
        // Hidden folders are not walked.
        try inbox.makeFolder("s/.git")
        try inbox.write("s/.git/config")
        try inbox.makeFolder(".state")
        try inbox.write(".state/ledger")

        try await events.document(bytes("report.txt"))
        try await inbox.barrier(events)
        let reported = events.events.compactMap { event -> [UInt8]? in
            switch event {
            case .document(let candidate), .rejected(let candidate, _): candidate.name
            case .fileInRoot(_, let name): name
            case .streamAdded(_, let stream), .streamRemoved(_, let stream): bytes(stream)
            default: nil
            }
        }
        for name in ignored + [
            "out.txt.stm.json", ".out.txt.stm.json.tmpABCD", ".report.txt.Xy12Zq", ".git", "config", ".state", "ledger",
        ] {
            #expect(!reported.contains(bytes(name)), "\(name) was reported")
        }
    }

    @Test(arguments: WatchMode.allCases)
    func namesWithNewlinesAndInvalidUTF8AreKeptAsBytes(mode: WatchMode) async throws {
        let latin1Stream: [UInt8] = [0x63, 0x61, 0x66, 0xE9]  // "café" in Latin-1
        let inbox = try Inbox()
        try inbox.makeFolder(latin1Stream)
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        defer { watcher.stop() }
        try await events.first("the Latin-1 stream") { $0 == .streamAdded(root: inbox.root, stream: "caf\\xE9") }

        let newline = bytes("line\nbreak.txt")
        let latin1: [UInt8] = [0x72, 0xE9, 0x73, 0x75, 0x6D, 0xE9, 0x2E, 0x74, 0x78, 0x74]  // "résumé.txt", Latin-1
        try inbox.write(bytes("s/") + newline, "newline")
        try inbox.write(bytes("s/") + latin1, "latin-1")
        try inbox.write(latin1Stream + bytes("/") + latin1, "in the café stream")

        let first = try await events.document(newline)
        #expect(first.path == inbox.path(bytes("s/") + newline))
        let inS = try await events.first("the Latin-1 name in s") { event in
            if case .document(let candidate) = event {
                return candidate.stream == "s" && candidate.relativePath == latin1
            }
            return false
        }
        guard case .document(let second) = inS else { return }
        #expect(second.path == inbox.path(bytes("s/") + latin1))
        #expect(second.displayPath.hasSuffix("/s/r\\xE9sum\\xE9.txt"))
        let third = try await events.first("the document in the café stream") { event in
            if case .document(let candidate) = event { return candidate.streamName == latin1Stream }
            return false
        }
        guard case .document(let inCafe) = third else { return }
        #expect(inCafe.stream == "caf\\xE9")
        #expect(inCafe.path == inbox.path(latin1Stream + bytes("/") + latin1))
        // The raw path opens the file.
        for candidate in [first, second, inCafe] {
            let fd = ByteNames.withCString(candidate.path) { open($0, O_RDONLY | O_CLOEXEC) }
            #expect(fd >= 0)
            if fd >= 0 { close(fd) }
        }
    }

    @Test(arguments: WatchMode.allCases)
    func startUpScanReportsWhatIsAlreadyThere(mode: WatchMode) async throws {
        let inbox = try Inbox(streams: ["news", "mail"])
        try inbox.write("news/old.txt", "old")
        try inbox.makeFolder("news/2024")
        try inbox.write("news/2024/older.txt", "older")
        try inbox.write("mail/letter.txt", "letter")
        try inbox.symlink(target: "/etc/passwd", at: "mail/passwd")
        try Inbox.writeFile(Array((inbox.root + "/README").utf8), "readme")

        let watcher = try InboxWatcher(roots: [inbox.root], settings: .testing(mode))
        let events = EventCollector.collecting(watcher)
        try watcher.start()
        defer { watcher.stop() }
        #expect(watcher.isPolling == (mode == .polling))
        #expect(watcher.pollingRoots == (mode == .polling ? [inbox.root] : []))

        try await events.documents(
            covering: [bytes("old.txt"), bytes("2024/older.txt"), bytes("letter.txt")], within: .seconds(5))
        try await events.first("passwd rejected") { event in
            if case .rejected(let candidate, .symbolicLink) = event { return candidate.trigger == .scan }
            return false
        }
        try await events.first("README in root") { $0 == .fileInRoot(root: inbox.root, name: bytes("README")) }
        for path in ["old.txt", "2024/older.txt", "letter.txt"] {
            #expect(events.documents(bytes(path)).map(\.trigger) == [.scan])
        }
        #expect(events.documents(bytes("2024/older.txt")).first?.stream == "news")
        #expect(events.events.contains(.streamAdded(root: inbox.root, stream: "news")))
        #expect(events.events.contains(.streamAdded(root: inbox.root, stream: "mail")))
    }

    @Test(arguments: WatchMode.allCases)
    func stopFinishesTheEventStream(mode: WatchMode) async throws {
        let inbox = try Inbox()
        let (watcher, events) = try await startWatching(inbox, settings: .testing(mode))
        watcher.stop()
        try await events.finished()
        watcher.stop()  // idempotent
    }
}
