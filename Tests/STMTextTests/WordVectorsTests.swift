import Foundation
import STMText
import Testing

/// Fixtures are written by the tests themselves in each layout, byte by byte as Gensim's `save_word2vec_format`
/// (text and `binary=True`), the original C tool (binary with a newline after each vector, text with a trailing
/// space) and GloVe write them. Values are compared exactly: text values are printed with Swift's shortest
/// round-tripping form, binary values are the float32 bits themselves.
struct WordVectorsTests {
    static let words = ["the", "film", "naïve", "été-là"]
    static let rows: [[Float]] = [
        [0.1, -0.25, 3],
        [1e-5, -0, 123456.79],
        [-1.5e-38, 0.33333334, 7],
        [2, 0.0625, -100],
    ]
    static let flat = rows.flatMap { $0 }

    private func textRows(separator: String = " ", trailing: String = "") -> String {
        zip(Self.words, Self.rows).map { word, row in
            ([word] + row.map { "\($0)" }).joined(separator: separator) + trailing + "\n"
        }.joined()
    }

    private func binaryFile(trailingNewline: Bool, words: [String] = words, rows: [[Float]] = rows) -> [UInt8] {
        var bytes = Array("\(words.count) \(rows[0].count)\n".utf8)
        for (word, row) in zip(words, rows) {
            bytes += Array(word.utf8) + [UInt8(ascii: " ")]
            for value in row { bytes += Self.littleEndianBytes(value) }
            if trailingNewline { bytes.append(UInt8(ascii: "\n")) }
        }
        return bytes
    }

    static func littleEndianBytes(_ value: Float) -> [UInt8] {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    private func expectFixtureValues(_ vectors: WordVectors) {
        #expect(vectors.dimension == 3)
        #expect(vectors.words == Self.words)
        #expect(vectors.count == 4)
        #expect(vectors.vectors == Self.flat)
        #expect(vectors.vectors.map(\.bitPattern) == Self.flat.map(\.bitPattern))  // -0 stays -0
        #expect(vectors.vector(for: "naïve").map(Array.init) == Self.rows[2])
        #expect(vectors.vector(at: 3).map { $0 } == Self.rows[3])
        #expect(vectors.index(of: "été-là") == 3)
        #expect(vectors.vector(for: "The") == nil)
        #expect(vectors.duplicateCount == 0)
        #expect(vectors.duplicateWarning == nil)
    }

    @Test func readsWord2VecTextAsGensimWritesIt() throws {
        let folder = try FixtureFolder()
        let path = try folder.write("4 3\n" + textRows(), named: "vectors.txt")
        let vectors = try WordVectors.load(path: path)
        #expect(vectors.format == .word2vecText)
        expectFixtureValues(vectors)
    }

    @Test func readsWord2VecTextWithTrailingSpacesCRLFAndOtherNumberForms() throws {
        let folder = try FixtureFolder()
        // The C tool's trailing space, Windows line endings, a tab, and number spellings Float(_:) must accept.
        let text =
            "4 3\r\n" + textRows(trailing: " ").replacingOccurrences(of: "\n", with: "\r\n")
            + "\n"  // a blank line at the end is not a row
        let path = try folder.write(text, named: "c-tool.txt")
        expectFixtureValues(try WordVectors.load(path: path))

        let forms = try folder.write("2 3\nx +0.5\t1E3 .25\ny -0 1e-05 0x1p-3\n", named: "forms.txt")
        let parsed = try WordVectors.load(path: forms)
        #expect(parsed.vectors == [0.5, 1000, 0.25, 0, 1e-5, 0.125])
        #expect(parsed.vectors[3].sign == .minus)
    }

    @Test(arguments: [false, true])
    func readsWord2VecBinary(trailingNewline: Bool) throws {
        let folder = try FixtureFolder()
        let path = try folder.write(binaryFile(trailingNewline: trailingNewline), named: "vectors.bin")
        let vectors = try WordVectors.load(path: path)
        #expect(vectors.format == .word2vecBinary)
        expectFixtureValues(vectors)
    }

    @Test func readsGloVe() throws {
        let folder = try FixtureFolder()
        let path = try folder.write(textRows(), named: "glove.6B.3d.txt")
        let vectors = try WordVectors.load(path: path)
        #expect(vectors.format == .gloveText)
        expectFixtureValues(vectors)
    }

    /// 3,000 × 100 values: well over the reader's 1 MiB chunk in both layouts, so rows straddle chunk boundaries.
    @Test func readsFilesLargerThanOneChunk() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int32(truncatingIfNeeded: state >> 32)) / 65536
        }
        let words = (0..<3000).map { "w\($0)" }
        let rows = words.map { _ in (0..<100).map { _ in next() } }
        let folder = try FixtureFolder()
        let binary = try folder.write(binaryFile(trailingNewline: true, words: words, rows: rows), named: "big.bin")
        let text = try folder.write(
            "3000 100\n"
                + zip(words, rows).map { "\($0) " + $1.map { "\($0)" }.joined(separator: " ") + "\n" }.joined(),
            named: "big.txt")
        for path in [binary, text] {
            let vectors = try WordVectors.load(path: path)
            #expect(vectors.words == words)
            #expect(vectors.vectors == rows.flatMap { $0 }, "\(path)")
        }
    }

    @Test func keepsTheFirstOfDuplicateWordsAndCountsTheRest() throws {
        let folder = try FixtureFolder()
        let path = try folder.write("4 2\na 1 2\nb 3 4\na 5 6\na 7 8\n", named: "dup.txt")
        let vectors = try WordVectors.load(path: path)
        #expect(vectors.words == ["a", "b"])
        #expect(vectors.vectors == [1, 2, 3, 4])
        #expect(vectors.duplicateCount == 2)
        #expect(vectors.duplicateWarning == "\(path): line 4: duplicate word 'a' skipped, the first vector is kept")

        let binary = try folder.write(
            binaryFile(trailingNewline: false, words: ["a", "a"], rows: [[1, 2], [3, 4]]), named: "dup.bin")
        let fromBinary = try WordVectors.load(path: binary)
        #expect(fromBinary.vectors == [1, 2])
        #expect(fromBinary.duplicateWarning?.hasPrefix("\(binary): byte 14: duplicate word 'a'") == true)
    }

    @Test func headerOfZeroVectorsGivesAnEmptySet() throws {
        let folder = try FixtureFolder()
        let vectors = try WordVectors.load(path: try folder.write("0 50\n", named: "none.txt"))
        #expect(vectors.count == 0)
        #expect(vectors.dimension == 50)
    }

    @Test func initFromMemory() {
        let vectors = WordVectors(dimension: 2, words: ["x", "y"], vectors: [1, 2, 3, 4])
        #expect(vectors.vector(for: "y").map(Array.init) == [3, 4])
    }

    // MARK: - Errors

    @Test func missingAndUnreadableFiles() throws {
        let folder = try FixtureFolder()
        let missing = folder.path + "/nope.vec"
        #expect(throws: WordVectorsError.missingFile(path: missing)) { try WordVectors.load(path: missing) }
        #expect(throws: WordVectorsError.unreadable(path: folder.path, reason: "is a directory")) {
            try WordVectors.load(path: folder.path)
        }
        #expect(WordVectorsError.missingFile(path: missing).description == "\(missing): no such file")
    }

    @Test(arguments: ["", "\n", " \n\t\n"])
    func emptyFiles(contents: String) throws {
        let folder = try FixtureFolder()
        let path = try folder.write(contents, named: "empty.txt")
        #expect(throws: WordVectorsError.emptyFile(path: path)) { try WordVectors.load(path: path) }
    }

    @Test(arguments: [("3\n", "3"), ("3 x\na 1\n", "3 x"), ("2 0\n", "2 0"), ("-1 3\n", "-1 3"), ("\n2 1\n", "")])
    func badHeaders(contents: String, header: String) throws {
        let folder = try FixtureFolder()
        let path = try folder.write(contents, named: "header.txt")
        #expect(throws: WordVectorsError.badHeader(path: path, header: header)) { try WordVectors.load(path: path) }
    }

    @Test func rowWithTheWrongNumberOfValues() throws {
        let folder = try FixtureFolder()
        let word2vec = try folder.write("2 3\na 1 2 3\nb 1 2\n", named: "short.txt")
        let error = WordVectorsError.wrongValueCount(path: word2vec, line: 3, word: "b", expected: 3, found: 2)
        #expect(throws: error) { try WordVectors.load(path: word2vec) }
        #expect(error.description == "\(word2vec): line 3: 'b' has 2 values, expected 3")

        let glove = try folder.write("a 1 2 3\nb 1 2 3\n\nc 1 2 3 4\n", named: "glove.txt")
        #expect(throws: WordVectorsError.wrongValueCount(path: glove, line: 4, word: "c", expected: 3, found: 4)) {
            try WordVectors.load(path: glove)
        }
        // A wrong first row after a header is still read as text, so it is reported by line, not as binary garbage.
        let first = try folder.write("2 3\na 1 2\nb 1 2 3\n", named: "first.txt")
        #expect(throws: WordVectorsError.wrongValueCount(path: first, line: 2, word: "a", expected: 3, found: 2)) {
            try WordVectors.load(path: first)
        }
    }

    @Test(arguments: ["x", "1,5", "nan", "inf", "1e39", "--1"])
    func valueThatIsNotAFiniteNumber(value: String) throws {
        let folder = try FixtureFolder()
        let path = try folder.write("a 1 2\nb 3 \(value)\n", named: "nan.txt")
        let error = WordVectorsError.notANumber(path: path, location: .line(2), word: "b", value: value)
        #expect(throws: error) { try WordVectors.load(path: path) }
        #expect(error.description == "\(path): line 2: 'b': value '\(value)' is not a finite number")
    }

    @Test func nonFiniteBinaryValueIsReportedAtItsByte() throws {
        let folder = try FixtureFolder()
        let path = try folder.write(
            binaryFile(trailingNewline: false, words: ["a", "b"], rows: [[1, 2], [3, .nan]]), named: "nan.bin")
        // "2 2\n" (4) + "a " + 8 bytes (10) + "b " (2) + the first value (4): the NaN starts at byte 20.
        #expect(throws: WordVectorsError.notANumber(path: path, location: .byte(20), word: "b", value: "nan")) {
            try WordVectors.load(path: path)
        }
    }

    @Test func truncatedFiles() throws {
        let folder = try FixtureFolder()
        let text = try folder.write("3 2\na 1 2\nb 3 4\n", named: "cut.txt")
        let textError = WordVectorsError.truncated(path: text, location: .line(3), expectedRows: 3, foundRows: 2)
        #expect(throws: textError) { try WordVectors.load(path: text) }
        let message = "\(text): line 3: truncated: the header announces 3 vectors, the file ends after 2"
        #expect(textError.description == message)

        let whole = binaryFile(trailingNewline: true, words: ["a", "b"], rows: [[1, 2], [3, 4]])
        for cut in [whole.count - 3, whole.count - 10, whole.count - 11] {  // in b's values, after "b", before "b"
            let path = try folder.write(Array(whole.prefix(cut)), named: "cut-\(cut).bin")
            let error = WordVectorsError.truncated(path: path, location: .byte(cut), expectedRows: 2, foundRows: 1)
            #expect(throws: error) { try WordVectors.load(path: path) }
        }
    }

    @Test func wordsThatAreNotUTF8OrEmpty() throws {
        let folder = try FixtureFolder()
        let text = try folder.write(Array("1 2\n".utf8) + [0x66, 0xE9] + Array(" 1 2\n".utf8), named: "latin1.txt")
        #expect(throws: WordVectorsError.invalidUTF8Word(path: text, location: .line(2))) {
            try WordVectors.load(path: text)
        }
        var bytes = binaryFile(trailingNewline: true, words: ["ok", "bad"], rows: [[1, 2], [3, 4]])
        let badStart = 4 + 3 + 8 + 1  // header, "ok ", values, newline
        bytes[badStart + 1] = 0xC3  // "b", then a lead byte followed by "d": not UTF-8
        let binary = try folder.write(bytes, named: "latin1.bin")
        #expect(throws: WordVectorsError.invalidUTF8Word(path: binary, location: .byte(badStart))) {
            try WordVectors.load(path: binary)
        }
        let empty = try folder.write(
            Array("1 2\n".utf8) + [UInt8(ascii: " ")] + Self.littleEndianBytes(1) + Self.littleEndianBytes(2),
            named: "empty-word.bin")
        #expect(throws: WordVectorsError.emptyWord(path: empty, location: .byte(4))) {
            try WordVectors.load(path: empty)
        }
    }

    @Test func dataAfterTheAnnouncedVectors() throws {
        let folder = try FixtureFolder()
        let text = try folder.write("1 2\na 1 2\nb 3 4\n", named: "extra.txt")
        #expect(throws: WordVectorsError.extraData(path: text, location: .line(3), expectedRows: 1)) {
            try WordVectors.load(path: text)
        }
        let whole = binaryFile(trailingNewline: true, words: ["a"], rows: [[1, 2]])
        let binary = try folder.write(whole + Array("\nzz".utf8), named: "extra.bin")
        #expect(throws: WordVectorsError.extraData(path: binary, location: .byte(whole.count + 1), expectedRows: 1)) {
            try WordVectors.load(path: binary)
        }
    }
}

/// A scratch folder removed on deinit. STMTextTests does not depend on STMTesting's `TemporaryDirectory`, which
/// would pull the model targets into this test target.
private final class FixtureFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/stmd-wordvectors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func write(_ text: String, named name: String) throws -> String {
        try write(Array(text.utf8), named: name)
    }

    func write(_ bytes: [UInt8], named name: String) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    deinit {
        // Best-effort cleanup: a leftover temporary folder must not fail a test that passed.
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The reader against files Gensim itself writes (`KeyedVectors.save_word2vec_format`, text, binary and without
/// a header), compared bit for bit with the float32 vectors Gensim holds. Needs a Python that can
/// `import gensim`: `STMD_GENSIM_PYTHON`, else `~/.cache/stmd/venv/bin/python`, else `python3`; without one the
/// suite is skipped with the message below, never failed.
@Suite(
    .enabled(
        if: GensimPython.executable != nil,
        """
        gensim not installed: set STMD_GENSIM_PYTHON to a python that can `import gensim`, or install gensim \
        into ~/.cache/stmd/venv
        """),
    // Importing gensim takes seconds on an idle machine and far longer on a loaded one.
    .timeLimit(.minutes(5))
)
struct WordVectorsGensimTests {
    static let script = """
        import json, sys
        import gensim
        import numpy as np
        from gensim.models import KeyedVectors
        out = sys.argv[1]
        rng = np.random.default_rng(20240601)
        words = [f"w{i}" for i in range(300)] + ["naïve", "été-là", "日本語", "don't", "U.S.", "<url>", "a\\u00a0b", "👍"]
        scale = rng.choice([1e-6, 1.0, 1e4], size=(len(words), 1))
        vectors = (rng.standard_normal((len(words), 37)) * scale).astype(np.float32)
        vectors[0, 0] = -0.0
        kv = KeyedVectors(vector_size=37)
        kv.add_vectors(words, vectors)
        kv.save_word2vec_format(out + "/gensim.txt", binary=False)
        kv.save_word2vec_format(out + "/gensim.bin", binary=True)
        kv.save_word2vec_format(out + "/gensim-noheader.txt", binary=False, write_header=False)
        np.stack([kv[w] for w in words]).astype("<f4").tofile(out + "/expected.f32")
        with open(out + "/expected.json", "w", encoding="utf-8") as f:
            json.dump({"words": words, "gensim": gensim.__version__}, f, ensure_ascii=False)
        """

    struct Expected: Decodable {
        let words: [String]
        let gensim: String
    }

    @Test func readsEveryLayoutGensimWrites() throws {
        let python = try #require(GensimPython.executable)
        let folder = try FixtureFolder()
        let run = try GensimPython.run(python, ["-c", Self.script, folder.path])
        try #require(run.status == 0, "gensim script exited with \(run.status):\n\(run.output)")
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: URL(fileURLWithPath: folder.path + "/expected.json")))
        let bits = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/expected.f32")).withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))
            }
        }
        try #require(bits.count == expected.words.count * 37)
        for (file, format) in [
            ("gensim.txt", WordVectors.Format.word2vecText), ("gensim.bin", .word2vecBinary),
            ("gensim-noheader.txt", .gloveText),
        ] {
            let vectors = try WordVectors.load(path: folder.path + "/" + file)
            #expect(vectors.format == format, "\(file)")
            #expect(vectors.dimension == 37)
            #expect(Set(vectors.words) == Set(expected.words), "\(file)")
            #expect(vectors.count == expected.words.count, "\(file)")
            for (row, word) in expected.words.enumerated() {
                let loaded = try #require(vectors.vector(for: word), "\(file): '\(word)' missing")
                #expect(loaded.map(\.bitPattern) == Array(bits[(row * 37)..<((row + 1) * 37)]), "\(file): '\(word)'")
            }
        }
        Attachment.record("gensim \(expected.gensim)\n", named: "gensim-version.txt")
    }
}

/// Finds and runs a Python interpreter with gensim.
enum GensimPython {
    /// The first of `STMD_GENSIM_PYTHON`, `~/.cache/stmd/venv/bin/python` and `python3` on `PATH` that can
    /// `import gensim`; nil if none. Evaluated once, when the suite's `.enabled(if:)` trait is.
    static let executable: URL? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let path = environment["STMD_GENSIM_PYTHON"], !path.isEmpty { candidates.append(path) }
        if let home = environment["HOME"], !home.isEmpty { candidates.append(home + "/.cache/stmd/venv/bin/python") }
        for folder in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(folder)/python3") }
        return candidates.lazy.map { URL(fileURLWithPath: $0) }.first { candidate in
            FileManager.default.isExecutableFile(atPath: candidate.path)
                && (try? run(candidate, ["-c", "import gensim"]).status) == 0
        }
    }()

    /// Runs `executable arguments…` to completion; returns its exit status and its stdout and stderr together.
    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Drain the pipe before waiting, so a child that writes a lot cannot block on a full pipe.
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
