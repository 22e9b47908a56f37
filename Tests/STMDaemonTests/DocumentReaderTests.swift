import Foundation
import Glibc
import STMDaemon
import STMTesting
import Testing

struct DocumentReaderTests {
    private func path(_ directory: TemporaryDirectory, _ name: String) -> [UInt8] { Array((directory.path + "/" + name).utf8) }

    @Test func readsTextAndRefusesBadInputWithoutTouchingIt() throws {
        let directory = try TemporaryDirectory()
        let reader = DocumentReader(maximumSize: 100)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: directory.path + "/ok.txt"))
        #expect(try reader.read(path: path(directory, "ok.txt")) == Array("hello".utf8))
        try Data().write(to: URL(fileURLWithPath: directory.path + "/empty.txt"))
        #expect(throws: DocumentReadError.empty) { try reader.read(path: path(directory, "empty.txt")) }
        try Data([0x41, 0x00, 0x42]).write(to: URL(fileURLWithPath: directory.path + "/binary.bin"))
        #expect(throws: DocumentReadError.binary) { try reader.read(path: path(directory, "binary.bin")) }
        try Data([0xFF, 0xFE, 0x41, 0x00]).write(to: URL(fileURLWithPath: directory.path + "/utf16.txt"))
        #expect(try reader.read(path: path(directory, "utf16.txt")).count == 4)
        try Data(repeating: 0x41, count: 101).write(to: URL(fileURLWithPath: directory.path + "/big.txt"))
        #expect(throws: DocumentReadError.tooLarge(size: 101, limit: 100)) { try reader.read(path: path(directory, "big.txt")) }
        #expect(throws: DocumentReadError.vanished) { try reader.read(path: path(directory, "missing.txt")) }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory.path).count) == 5)
    }

    @Test func neverFollowsSymlinksNorOpensFIFOs() throws {
        let directory = try TemporaryDirectory()
        let reader = DocumentReader(maximumSize: 100)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: directory.path + "/target.txt"))
        #expect(symlink(directory.path + "/target.txt", directory.path + "/link.txt") == 0)
        #expect(throws: DocumentReadError.notRegularFile(kind: "symbolic link")) { try reader.read(path: path(directory, "link.txt")) }
        #expect(mkfifo(directory.path + "/fifo", 0o644) == 0)
        // A blocking open of a FIFO without a writer would hang this test; the reader must return at once.
        #expect(throws: DocumentReadError.notRegularFile(kind: "FIFO")) { try reader.read(path: path(directory, "fifo")) }
        #expect(throws: DocumentReadError.notRegularFile(kind: "directory")) { try reader.read(path: Array(directory.path.utf8)) }
    }
}
