import Foundation
import STMTasks
import STMTesting
import Testing

struct SHA256Tests {
    /// FIPS 180-4 examples (NIST CSRC "Example Algorithms": SHA256.pdf and SHA2_Additional.pdf).
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func nistVectors(message: String, digest: String) {
        #expect(SHA256.hex(of: SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func oneMillionAsInOddSizedChunks() {
        let chunkSizes = [1, 7, 63, 64, 65, 127, 1000, 4093]
        var hasher = SHA256()
        var fed = 0
        var turn = 0
        while fed < 1_000_000 {
            let size = min(chunkSizes[turn % chunkSizes.count], 1_000_000 - fed)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: size))
            fed += size
            turn += 1
        }
        #expect(SHA256.hex(of: hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func finalizeLeavesTheHasherUsable() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("ab".utf8)))
        hasher.update(Array("c".utf8))
        #expect(SHA256.hex(of: hasher.finalize()).hasPrefix("ba7816bf"))
        #expect(hasher.finalize().count == SHA256.digestByteCount)
    }

    @Test func hexIsLowercaseTwoDigitsPerByte() {
        #expect(SHA256.hex(of: [0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
        #expect(SHA256.hex(of: []) == "")
    }

    /// Random files of every length around the padding boundaries, and one of 100 KB fed through the raw-buffer
    /// entry point in random pieces, against coreutils' `sha256sum`.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum"), "no /usr/bin/sha256sum"))
    func matchesSha256sum() throws {
        var generator = SystemRandomNumberGenerator()
        let folder = try TemporaryDirectory()
        let lengths = [1, 55, 56, 57, 63, 64, 65, 111, 119, 120, 128, 100_000]
        var expected: [String: String] = [:]
        var names: [String] = []
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let name = "random-\(length).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/" + name))
            var hasher = SHA256()
            var offset = 0
            bytes.withUnsafeBytes { raw in
                while offset < raw.count {
                    let end = min(raw.count, offset + Int.random(in: 0...300, using: &generator))
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            expected[name] = SHA256.hex(of: hasher.finalize())
            names.append(name)
        }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        process.arguments = names
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        var checked = 0
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            let name = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
            #expect(expected[name] == String(parts[0]), "\(name)")
            checked += 1
        }
        #expect(checked == lengths.count)
    }
}
