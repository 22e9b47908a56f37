import Glibc
import Testing

@testable import STMWatcher

/// Seeded random actions against a simple model: whatever happened, the final state of every file is reported
/// and no write is reported twice.
extension InboxWatcherTests {
    /// A small deterministic generator (SplitMix64), so a failing seed can be replayed.
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: WatchMode.allCases)
    func randomActionsEndWithEveryFileReported(mode: WatchMode) async throws {
        let inbox = try Inbox(streams: ["s", "t"])
        let (watcher, events) = try await startWatching(inbox, streams: ["s", "t"], settings: .testing(mode))
        defer { watcher.stop() }
        var random = Generator(state: 20_261_130)
        var present: Set<String> = []  // relative to the root: "s/f3", "t/d1/f7"
        var folders = ["s", "t"]
        var counter = 0

        for _ in 0..<300 {
            counter += 1
            let folder = folders.randomElement(using: &random)!
            let content = String(repeating: "x", count: Int.random(in: 1...200, using: &random))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:  // write a new file
                let path = "\(folder)/f\(counter)"
                try inbox.write(path, content)
                present.insert(path)
            case 35..<50:  // rewrite or append to an existing one
                guard let path = present.randomElement(using: &random) else { continue }
                let fd = ByteNames.withCString(inbox.path(path)) { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) }
                try Inbox.check(fd, "open", path)
                _ = Array(content.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            case 50..<60:  // rename within the inbox
                guard let path = present.randomElement(using: &random) else { continue }
                let target = "\(folders.randomElement(using: &random)!)/r\(counter)"
                try inbox.rename(inbox.path(path), to: inbox.path(target))
                present.remove(path)
                present.insert(target)
            case 60..<70:  // rename in from outside
                let name = "o\(counter)"
                try Inbox.writeFile(inbox.outsidePath(name), content)
                try inbox.rename(inbox.outsidePath(name), to: inbox.path("\(folder)/\(name)"))
                present.insert("\(folder)/\(name)")
            case 70..<78:  // hard link in: created, never closed
                let name = "l\(counter)"
                try Inbox.writeFile(inbox.outsidePath(name), content)
                try inbox.link(inbox.outsidePath(name), to: inbox.path("\(folder)/\(name)"))
                present.insert("\(folder)/\(name)")
            case 78..<88:  // delete
                guard let path = present.randomElement(using: &random) else { continue }
                #expect(ByteNames.withCString(inbox.path(path)) { unlink($0) } == 0)
                present.remove(path)
            case 88..<95:  // a new folder, filled at once
                let newFolder = "\(folder)/d\(counter)"
                try inbox.makeFolder(newFolder)
                folders.append(newFolder)
                try inbox.write("\(newFolder)/first", content)
                present.insert("\(newFolder)/first")
            default:  // an ignored temporary file, renamed onto its real name (rsync, editors)
                let path = "\(folder)/n\(counter)"
                try inbox.write("\(folder)/.n\(counter).tmp", content)
                try inbox.rename(inbox.path("\(folder)/.n\(counter).tmp"), to: inbox.path(path))
                present.insert(path)
            }
        }

        // Every file's final state — its current size, mtime and inode — is reported.
        var finalStates: Set<EventCollector.DocumentState> = []
        for path in present {
            let status = try #require(FileStatus.at(path: inbox.path(path)))
            finalStates.insert(.init(path: inbox.path(path), observation: status.observation))
        }
        try await events.documents(reporting: finalStates, within: .seconds(10))
        try await inbox.barrier(events)
        // No write is reported twice for the same path, and nothing hidden is reported.
        var seen: Set<String> = []
        for event in events.events {
            guard case .document(let c) = event else { continue }
            let key = "\(ByteNames.display(c.path)) \(c.size) \(c.modificationTime) \(c.inode)"
            #expect(seen.insert(key).inserted, "reported twice: \(key)")
            #expect(c.name.first != UInt8(ascii: "."))
        }
    }
}
