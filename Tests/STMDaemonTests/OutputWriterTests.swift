import Glibc
import STMTesting
import Testing

@testable import STMDaemon

struct OutputWriterTests {
    /// An inbox root with the stream folder `news` holding one input named `name`.
    struct Inbox {
        let directory: TemporaryDirectory
        var root: String { directory.path + "/inbox" }
        var streamPath: [UInt8] { RawFile.bytes(root + "/news") }

        init() throws {
            directory = try TemporaryDirectory(prefix: "stmd-output")
            RawFile.makeFolder(RawFile.bytes(root))
            RawFile.makeFolder(streamPath)
        }

        func location(_ name: [UInt8]) -> DocumentLocation {
            DocumentLocation(root: root, stream: "news", relativePath: name)
        }

        /// Writes the input and returns its location.
        func drop(_ name: [UInt8], contents: String = "Stocks rallied on Friday.\n") -> DocumentLocation {
            let location = location(name)
            let (folder, _) = PathBytes.split(location.inputPath)
            RawFile.makeFolders(folder)
            RawFile.write(location.inputPath, RawFile.bytes(contents))
            return location
        }
    }

    static let json = RawFile.bytes(#"{"schema":"stmd.annotation","schema_version":1}"#)

    @Test func atomicWriteProducesExactlyTheBytes() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("report.txt"))
        // 1 MiB of every byte value: large enough that the kernel may write it in pieces.
        let json = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = OutputWriter()

        let prepared = try writer.prepare(json: json, for: location, kind: .annotation)
        #expect(RawFile.read(prepared.temporaryPath) == json)
        #expect(RawFile.read(prepared.outputPath) == nil)
        #expect(prepared.temporaryName.first == UInt8(ascii: "."))
        #expect(OutputNaming.isTemporaryName(prepared.temporaryName))
        #expect(RawFile.mode(prepared.temporaryPath) == 0o644 & ~RawFile.umaskValue())

        try writer.publish(prepared)
        #expect(prepared.outputPath == RawFile.bytes(inbox.root + "/news/report.txt.stm.json"))
        #expect(RawFile.read(prepared.outputPath) == json)
        #expect(RawFile.list(inbox.streamPath) == [RawFile.bytes("report.txt"), RawFile.bytes("report.txt.stm.json")])
    }

    @Test(arguments: [
        RawFile.bytes("line\nbreak.txt"),
        [0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74],  // "fé.txt" in Latin-1: not UTF-8
        RawFile.bytes("  spaces  around .txt"),
        RawFile.bytes("back\\slash and \"quotes\" and *?[.txt"),
        RawFile.bytes("-starts-with-dash"),
    ])
    func namesAreRawBytes(name: [UInt8]) throws {
        let inbox = try Inbox()
        let location = inbox.drop(name)
        let writer = OutputWriter()
        try writer.publish(try writer.prepare(json: Self.json, for: location, kind: .annotation))
        #expect(
            RawFile.list(inbox.streamPath)
                == [name, name + RawFile.bytes(".stm.json")].sorted { $0.lexicographicallyPrecedes($1) })
        #expect(RawFile.read(inbox.streamPath + [UInt8(ascii: "/")] + name + RawFile.bytes(".stm.json")) == Self.json)
        #expect(
            try writer.outputPath(for: location, kind: .error) == location.inputPath + RawFile.bytes(".stm.error.json"))
    }

    @Test(arguments: [
        "..", ".", "../escape", "a/../../escape", "/etc/passwd", "a//b", "a/", "", "a/./b", "nul\u{0}byte",
    ])
    func pathsThatCouldEscapeAreRefused(relativePath: String) throws {
        let inbox = try Inbox()
        let location = inbox.location(RawFile.bytes(relativePath))
        #expect {
            try OutputWriter().prepare(json: Self.json, for: location, kind: .annotation)
        } throws: { error in
            guard case OutputError.invalidName = error else { return false }
            return true
        }
        #expect(RawFile.list(inbox.streamPath).isEmpty)
        #expect(RawFile.list(RawFile.bytes(inbox.root)) == [RawFile.bytes("news")])
        #expect(RawFile.list(RawFile.bytes(inbox.directory.path)) == [RawFile.bytes("inbox")])
    }

    @Test(arguments: ["x.txt.stm.json", "x.txt.stm.error.json", ".x.txt.stm.json.tmp-0123456789abcdef"])
    func theDaemonsOwnFilesGetNoOutput(name: String) throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes(name))
        #expect(throws: OutputError.self) {
            try OutputWriter().prepare(json: Self.json, for: location, kind: .annotation)
        }
        #expect(RawFile.list(inbox.streamPath) == [RawFile.bytes(name)])
    }

    @Test(arguments: ["..", ".", "a/b", ""])
    func streamsThatCouldEscapeAreRefused(stream: String) throws {
        let inbox = try Inbox()
        let location = DocumentLocation(root: inbox.root, stream: stream, relativePath: "x.txt")
        #expect(throws: OutputError.self) {
            try OutputWriter().prepare(json: Self.json, for: location, kind: .annotation)
        }
        #expect(throws: OutputError.self) { try OutputWriter().outputPath(for: location, kind: .annotation) }
    }

    @Test func nestedFoldersAlongside() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("2024/march/x.txt"))
        let writer = OutputWriter()
        try writer.publish(try writer.prepare(json: Self.json, for: location, kind: .annotation))
        let folder = inbox.streamPath + RawFile.bytes("/2024/march")
        #expect(RawFile.list(folder) == [RawFile.bytes("x.txt"), RawFile.bytes("x.txt.stm.json")])
    }

    @Test func outputRootMirrorsTheInbox() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("2024/x\n.txt"))
        let outputRoot = inbox.directory.path + "/out"
        RawFile.makeFolder(RawFile.bytes(outputRoot))
        let writer = OutputWriter(destination: .outputRoot(outputRoot))

        let prepared = try writer.prepare(json: Self.json, for: location, kind: .annotation)
        try writer.publish(prepared)
        let expected = RawFile.bytes(outputRoot + "/news/2024/x\n.txt.stm.json")
        #expect(prepared.outputPath == expected)
        #expect(try writer.outputPath(for: location, kind: .annotation) == expected)
        #expect(RawFile.read(expected) == Self.json)
        #expect(RawFile.list(RawFile.bytes(outputRoot + "/news/2024")) == [RawFile.bytes("x\n.txt.stm.json")])
        // The inbox holds only the input.
        #expect(RawFile.list(inbox.streamPath + RawFile.bytes("/2024")) == [RawFile.bytes("x\n.txt")])
    }

    @Test func missingOutputRootIsAnError() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("x.txt"))
        let writer = OutputWriter(destination: .outputRoot(inbox.directory.path + "/nowhere"))
        #expect(throws: OutputError.outputRootMissing(path: inbox.directory.path + "/nowhere")) {
            try writer.prepare(json: Self.json, for: location, kind: .annotation)
        }
    }

    @Test func foldersThatAreLinksAreNotFollowed() throws {
        let inbox = try Inbox()
        let outside = RawFile.bytes(inbox.directory.path + "/outside")
        RawFile.makeFolder(outside)
        RawFile.link(target: outside, at: inbox.streamPath + RawFile.bytes("/linked"))
        RawFile.write(outside + RawFile.bytes("/x.txt"), RawFile.bytes("text"))
        let location = inbox.location(RawFile.bytes("linked/x.txt"))
        #expect {
            try OutputWriter().prepare(json: Self.json, for: location, kind: .annotation)
        } throws: { error in
            guard case OutputError.notAFolder = error else { return false }
            return true
        }
        #expect(RawFile.list(outside) == [RawFile.bytes("x.txt")])

        // The stream folder itself may not be a link either.
        RawFile.link(target: outside, at: RawFile.bytes(inbox.root + "/linkstream"))
        let viaStream = DocumentLocation(root: inbox.root, stream: "linkstream", relativePath: "x.txt")
        #expect(throws: OutputError.self) {
            try OutputWriter().prepare(json: Self.json, for: viaStream, kind: .annotation)
        }
        #expect(RawFile.list(outside) == [RawFile.bytes("x.txt")])
    }

    @Test func publishingOneKindRemovesTheOther() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("doc.txt"))
        let writer = OutputWriter()
        try writer.publish(try writer.prepare(json: Self.json, for: location, kind: .annotation))
        try writer.publish(try writer.prepare(json: RawFile.bytes(#"{"error":"binary"}"#), for: location, kind: .error))
        #expect(RawFile.list(inbox.streamPath) == [RawFile.bytes("doc.txt"), RawFile.bytes("doc.txt.stm.error.json")])
        try writer.publish(try writer.prepare(json: Self.json, for: location, kind: .annotation))
        #expect(RawFile.list(inbox.streamPath) == [RawFile.bytes("doc.txt"), RawFile.bytes("doc.txt.stm.json")])
    }

    @Test func republishingReplacesTheOutput() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("doc.txt"))
        let writer = OutputWriter()
        try writer.publish(try writer.prepare(json: RawFile.bytes("first"), for: location, kind: .annotation))
        try writer.publish(try writer.prepare(json: RawFile.bytes("second, longer"), for: location, kind: .annotation))
        #expect(RawFile.read(location.inputPath + RawFile.bytes(".stm.json")) == RawFile.bytes("second, longer"))
        #expect(RawFile.list(inbox.streamPath).count == 2)
    }

    @Test func batchPublishingReportsEachOutput() throws {
        let inbox = try Inbox()
        let writer = OutputWriter()
        let prepared = try ["a.txt", "sub/b.txt", "c.txt"].map {
            try writer.prepare(json: RawFile.bytes($0), for: inbox.drop(RawFile.bytes($0)), kind: .annotation)
        }
        // A non-empty folder where c.txt's output goes: that rename fails, the others do not.
        RawFile.makeFolder(prepared[2].outputPath)
        RawFile.write(prepared[2].outputPath + RawFile.bytes("/inside"), [])

        let results = writer.publish(prepared)
        #expect(results[0] == nil && results[1] == nil)
        #expect(results[2]?.errno == EISDIR)
        #expect(RawFile.read(prepared[0].outputPath) == RawFile.bytes("a.txt"))
        #expect(RawFile.read(prepared[1].outputPath) == RawFile.bytes("sub/b.txt"))
        #expect(RawFile.read(prepared[2].temporaryPath) == RawFile.bytes("c.txt"))
    }

    @Test func discardDeletesTheTemporaryFile() throws {
        let inbox = try Inbox()
        let location = inbox.drop(RawFile.bytes("doc.txt"))
        let writer = OutputWriter()
        let prepared = try writer.prepare(json: Self.json, for: location, kind: .annotation)
        writer.discard(prepared)
        #expect(RawFile.list(inbox.streamPath) == [RawFile.bytes("doc.txt")])
    }

    @Test func longNames() throws {
        let inbox = try Inbox()
        let writer = OutputWriter()
        // 240 + ".stm.json" fits in 255 bytes; the temporary name is shortened to fit too.
        let fits = inbox.drop([UInt8](repeating: UInt8(ascii: "a"), count: 240))
        let prepared = try writer.prepare(json: Self.json, for: fits, kind: .annotation)
        #expect(prepared.temporaryName.count <= 255)
        #expect(OutputNaming.isTemporaryName(prepared.temporaryName))
        try writer.publish(prepared)
        #expect(RawFile.read(prepared.outputPath) == Self.json)
        // 250 + ".stm.json" does not.
        let tooLong = inbox.drop([UInt8](repeating: UInt8(ascii: "b"), count: 250))
        #expect {
            try writer.prepare(json: Self.json, for: tooLong, kind: .annotation)
        } throws: { error in
            guard case OutputError.nameTooLong = error else { return false }
            return true
        }
    }

    @Test func namingRecognisesTheDaemonsFiles() {
        #expect(OutputNaming.isOutputName(RawFile.bytes("a.txt.stm.json")))
        #expect(OutputNaming.isOutputName(RawFile.bytes("a.txt.stm.error.json")))
        #expect(!OutputNaming.isOutputName(RawFile.bytes("a.json")))
        #expect(OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.stm.json.tmp-0123456789abcdef")))
        #expect(OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.stm.error.json.tmp-0123456789abcdef")))
        #expect(!OutputNaming.isTemporaryName(RawFile.bytes("a.txt.stm.json.tmp-0123456789abcdef")))  // not hidden
        #expect(!OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.stm.json.tmp-0123456789ABCDEF")))  // upper case
        #expect(!OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.stm.json.tmp-0123")))  // too short
        #expect(!OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.tmp-0123456789abcdef")))  // not an output
        #expect(!OutputNaming.isTemporaryName(RawFile.bytes(".a.txt.swp")))
        #expect(OutputNaming.isDaemonFile(RawFile.bytes(".x.stm.json.tmp-ffffffffffffffff")))
    }

    @Test func errorsNameThePathReadably() {
        let error = OutputError.system(operation: "rename", path: PathBytes.render([0x61, 0x0A, 0xE9]), errno: ENOSPC)
        #expect(error.description == "rename a\\n\\xE9: No space left on device (errno \(ENOSPC))")
        #expect(error.isTransient)
        #expect(!OutputError.nameTooLong(path: "x").isTransient)
    }
}

/// File helpers on raw byte paths, shared by the ledger, writer and recovery tests.
enum RawFile {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func write(_ path: [UInt8], _ contents: [UInt8]) {
        let fd = PathBytes.withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        precondition(fd >= 0, "RawFile.write \(PathBytes.render(path)): errno \(errno)")
        contents.withUnsafeBytes { precondition(Glibc.write(fd, $0.baseAddress, $0.count) == $0.count) }
        close(fd)
    }

    static func read(_ path: [UInt8]) -> [UInt8]? {
        let fd = PathBytes.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return try? FileCalls.readAll(fd, path: path)
    }

    static func remove(_ path: [UInt8]) {
        _ = PathBytes.withCString(path) { unlink($0) }
    }

    static func makeFolder(_ path: [UInt8]) {
        _ = PathBytes.withCString(path) { mkdir($0, 0o755) }
    }

    static func makeFolders(_ path: [UInt8]) {
        var prefix: [UInt8] = []
        for component in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            prefix += component
            if !prefix.isEmpty { makeFolder(prefix) }
            prefix.append(UInt8(ascii: "/"))
        }
    }

    static func link(target: [UInt8], at path: [UInt8]) {
        let result = PathBytes.withCString(target) { cTarget in PathBytes.withCString(path) { symlink(cTarget, $0) } }
        precondition(result == 0)
    }

    /// Entry names of a folder, sorted bytewise; empty when it cannot be read.
    static func list(_ path: [UInt8]) -> [[UInt8]] {
        guard let stream = PathBytes.withCString(path, { opendir($0) }) else { return [] }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != bytes(".") && name != bytes("..") { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Every file below `path` whose name has the temporary shape.
    static func temporaryFiles(under path: [UInt8]) -> [[UInt8]] {
        var found: [[UInt8]] = []
        for name in list(path) {
            let child = path + [UInt8(ascii: "/")] + name
            if FileCalls.status(child).info.map(FileCalls.isFolder) == true {
                found += temporaryFiles(under: child)
            } else if OutputNaming.isTemporaryName(name) {
                found.append(child)
            }
        }
        return found
    }

    static func mode(_ path: [UInt8]) -> mode_t? {
        FileCalls.status(path).info.map { $0.st_mode & 0o7777 }
    }

    /// The process umask, read from `/proc/self/status` (setting it to read it would race with other tests).
    static func umaskValue() -> mode_t {
        let status = String(decoding: read(bytes("/proc/self/status")) ?? [], as: UTF8.self)
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t(String($0.dropFirst("Umask:".count).filter { !$0.isWhitespace }), radix: 8) }
            ?? 0o022
    }
}
