import Glibc

/// Pretrained word vectors, to initialise a classifier's embedding table from word2vec or GloVe files.
///
/// Three layouts are read and told apart from the file's first bytes:
/// - word2vec text (Gensim's `save_word2vec_format`, the C tool's `-binary 0`): a header line
///   `<count> <dimension>`, then `word v1 … vdim` per line;
/// - word2vec binary (`binary=True`, `-binary 1`): the same header line, then per word its UTF-8 bytes, one space
///   and `dimension` little-endian float32 values, followed by `\n` (the C tool) or by nothing (Gensim 4);
/// - GloVe text: no header, so a first line with more than two fields is a GloVe row, and the dimension is its
///   field count minus one (GloVe files of dimension 1 are therefore read as a bad word2vec header).
///
/// After a word2vec header the file is text when the first row's bytes after its word, up to the end of the line,
/// are ASCII number characters and separators making at least two fields (one for dimension 1); anything else is
/// binary. Float32 bits of real embeddings practically never look like that, and a text file whose first row has
/// the wrong value count still reads as text, so that error is reported by line.
///
/// Fields of a text row are separated by runs of spaces or tabs (the C tool leaves a trailing space; `\r\n`
/// endings are accepted) and blank lines are skipped. Everything else is an error naming the file and the line
/// or byte offset: a row with the wrong number of values, a value that is not a finite number (`nan` and `inf`
/// included, which would poison training), a word that is not UTF-8, fewer or more rows than the header says.
/// A repeated word is not an error: published files occasionally repeat one, so the first row is kept, the
/// later ones are skipped and counted in `duplicateCount` for the caller to report as a warning.
///
/// The file is streamed through a 1 MiB buffer, never held whole: memory is the vectors, words and index.
public struct WordVectors: Sendable {
    public enum Format: String, Sendable, Hashable {
        case word2vecText = "word2vec-text"
        case word2vecBinary = "word2vec-binary"
        case gloveText = "glove-text"
    }

    public let dimension: Int
    /// Words in file order, each once.
    public let words: [String]
    /// Row-major `words.count × dimension`: the vector of `words[i]` is `vectors[i * dimension ..< (i + 1) * dimension]`.
    public let vectors: [Float]
    /// The layout the file was read as (`init(dimension:words:vectors:)` says `.word2vecText`).
    public let format: Format
    /// Rows skipped because their word appeared earlier in the file.
    public let duplicateCount: Int
    /// A ready-made warning for `duplicateCount > 0`, naming the first repeated word and where; nil otherwise.
    public let duplicateWarning: String?
    private let indexByWord: [String: Int]

    /// Vectors built in memory. - Precondition: words are unique and `vectors.count == words.count * dimension`.
    public init(dimension: Int, words: [String], vectors: [Float]) {
        precondition(dimension >= 1, "WordVectors: dimension \(dimension) must be at least 1")
        precondition(
            vectors.count == words.count * dimension,
            "WordVectors: \(vectors.count) values for \(words.count) words of dimension \(dimension)")
        var index: [String: Int] = [:]
        index.reserveCapacity(words.count)
        for (row, word) in words.enumerated() {
            precondition(index.updateValue(row, forKey: word) == nil, "WordVectors: word '\(word)' appears twice")
        }
        self.init(
            dimension: dimension, words: words, vectors: vectors, format: .word2vecText, duplicateCount: 0,
            duplicateWarning: nil, indexByWord: index)
    }

    private init(
        dimension: Int, words: [String], vectors: [Float], format: Format, duplicateCount: Int,
        duplicateWarning: String?, indexByWord: [String: Int]
    ) {
        self.dimension = dimension
        self.words = words
        self.vectors = vectors
        self.format = format
        self.duplicateCount = duplicateCount
        self.duplicateWarning = duplicateWarning
        self.indexByWord = indexByWord
    }

    public var count: Int { words.count }

    /// The row of `word`, or nil when the file does not have it. Lookup is exact: no normalisation or case folding.
    public func index(of word: String) -> Int? { indexByWord[word] }

    /// The vector of `word`, or nil when the file does not have it.
    public func vector(for word: String) -> ArraySlice<Float>? {
        index(of: word).map(vector(at:))
    }

    /// The vector in row `index`. - Precondition: `0 <= index < count`.
    public func vector(at index: Int) -> ArraySlice<Float> {
        precondition(words.indices.contains(index), "WordVectors: row \(index) outside 0..<\(count)")
        return vectors[(index * dimension)..<((index + 1) * dimension)]
    }

    /// Reads the word2vec (text or binary) or GloVe file at `path`.
    public static func load(path: String) throws(WordVectorsError) -> WordVectors {
        var reader = try ChunkedFileReader(path: path)
        defer { reader.closeDescriptor() }
        var loader = Loader(path: path, expectedValues: reader.size / 2)
        try loader.read(from: &reader)
        return WordVectors(
            dimension: loader.dimension, words: loader.words, vectors: loader.vectors, format: loader.format,
            duplicateCount: loader.duplicateCount, duplicateWarning: loader.duplicateWarning,
            indexByWord: loader.indexByWord)
    }
}

/// Why a word vector file could not be read; every case names the file and, where it applies, the place in it.
public enum WordVectorsError: Error, Equatable, CustomStringConvertible {
    /// A 1-based line of a text file, or a 0-based byte offset into a binary one.
    public enum Location: Equatable, Sendable, CustomStringConvertible {
        case line(Int)
        case byte(Int)

        public var description: String {
            switch self {
            case .line(let line): return "line \(line)"
            case .byte(let offset): return "byte \(offset)"
            }
        }
    }

    case missingFile(path: String)
    /// The file exists but cannot be read (permissions, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// No bytes, or only whitespace.
    case emptyFile(path: String)
    /// The first line is neither `<count> <dimension>` nor a GloVe row; `header` is that line (shortened).
    case badHeader(path: String, header: String)
    /// A text row with `found` values where the dimension is `expected`.
    case wrongValueCount(path: String, line: Int, word: String, expected: Int, found: Int)
    /// A value that does not parse as a float, or is NaN or infinite.
    case notANumber(path: String, location: Location, word: String, value: String)
    /// The file ended after `foundRows` of the header's `expectedRows` rows; `location` is where it ended.
    case truncated(path: String, location: Location, expectedRows: Int, foundRows: Int)
    /// A binary record with an empty word (a space where the word should start).
    case emptyWord(path: String, location: Location)
    case invalidUTF8Word(path: String, location: Location)
    /// Rows or bytes after the header's `expectedRows` rows.
    case extraData(path: String, location: Location, expectedRows: Int)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .emptyFile(let path):
            return "\(path): empty file"
        case .badHeader(let path, let header):
            return "\(path): line 1: bad header '\(header)': expected '<count> <dimension>' (word2vec) or a GloVe row "
                + "'<word> <value> <value> …'"
        case .wrongValueCount(let path, let line, let word, let expected, let found):
            return "\(path): line \(line): '\(word)' has \(found) values, expected \(expected)"
        case .notANumber(let path, let location, let word, let value):
            return "\(path): \(location): '\(word)': value '\(value)' is not a finite number"
        case .truncated(let path, let location, let expectedRows, let foundRows):
            return "\(path): \(location): truncated: the header announces \(expectedRows) vectors, "
                + "the file ends after \(foundRows)"
        case .emptyWord(let path, let location):
            return "\(path): \(location): empty word"
        case .invalidUTF8Word(let path, let location):
            return "\(path): \(location): word is not valid UTF-8"
        case .extraData(let path, let location, let expectedRows):
            return "\(path): \(location): data after the \(expectedRows) vectors the header announces"
        }
    }
}

/// Parsing state while a file is read; the format-specific loops live here so `WordVectors` stays a value.
private struct Loader {
    let path: String
    var format = WordVectors.Format.word2vecText
    var dimension = 0
    var words: [String] = []
    var vectors: [Float] = []
    var indexByWord: [String: Int] = [:]
    var duplicateCount = 0
    var duplicateWarning: String?
    /// Upper bound on the values the file can hold, so a lying header cannot make us reserve gigabytes.
    let expectedValues: Int

    init(path: String, expectedValues: Int) {
        self.path = path
        self.expectedValues = expectedValues
    }

    mutating func read(from reader: inout ChunkedFileReader) throws(WordVectorsError) {
        var line: [UInt8] = []
        var fields: [Range<Int>] = []
        _ = try reader.readLine(into: &line)
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }  // a UTF-8 byte order mark
        Self.split(line, into: &fields)
        if fields.isEmpty {
            // Whitespace only is an empty file; a blank line before the header is a bad header.
            while try reader.readLine(into: &line) {
                Self.split(line, into: &fields)
                if !fields.isEmpty { throw .badHeader(path: path, header: "") }
            }
            throw .emptyFile(path: path)
        }
        if fields.count > 2 {
            format = .gloveText
            dimension = fields.count - 1
            try readTextRows(from: &reader, firstLine: line, expectedRows: nil)
            return
        }
        guard fields.count == 2, let count = Int(ascii: line[fields[0]]), let dimension = Int(ascii: line[fields[1]]),
            count >= 0, dimension >= 1, !count.multipliedReportingOverflow(by: dimension).overflow
        else {
            throw .badHeader(path: path, header: String(decoding: line.prefix(80), as: UTF8.self))
        }
        self.dimension = dimension
        reserve(rows: count)
        var isText = count == 0
        if !isText { isText = try reader.looksLikeTextRow(dimension: dimension) }
        if isText {
            format = .word2vecText
            try readTextRows(from: &reader, firstLine: nil, expectedRows: count)
        } else {
            format = .word2vecBinary
            try readBinaryRecords(from: &reader, count: count)
        }
    }

    private mutating func reserve(rows: Int) {
        let values = min(rows * dimension, expectedValues)
        vectors.reserveCapacity(values)
        words.reserveCapacity(values / dimension)
        indexByWord.reserveCapacity(values / dimension)
    }

    /// Text rows until the end of the file; `firstLine` is a GloVe row already read as line 1.
    private mutating func readTextRows(
        from reader: inout ChunkedFileReader, firstLine: [UInt8]?, expectedRows: Int?
    ) throws(WordVectorsError) {
        var line = firstLine ?? []
        var lineNumber = 1
        var fields: [Range<Int>] = []
        var rows = 0
        var pending = firstLine != nil
        while true {
            if !pending {
                guard try reader.readLine(into: &line) else { break }
                lineNumber += 1
            }
            pending = false
            Self.split(line, into: &fields)
            if fields.isEmpty { continue }
            if let expectedRows, rows == expectedRows {
                throw .extraData(path: path, location: .line(lineNumber), expectedRows: expectedRows)
            }
            let location = WordVectorsError.Location.line(lineNumber)
            let word = try decodeWord(line[fields[0]], at: location)
            guard fields.count - 1 == dimension else {
                throw .wrongValueCount(
                    path: path, line: lineNumber, word: word, expected: dimension, found: fields.count - 1)
            }
            let start = vectors.count
            for field in fields.dropFirst() {
                let text = String(decoding: line[field], as: UTF8.self)
                guard let value = Float(text), value.isFinite else {
                    throw .notANumber(path: path, location: location, word: word, value: text)
                }
                vectors.append(value)
            }
            keep(word, valuesFrom: start, at: location)
            rows += 1
        }
        if let expectedRows, rows < expectedRows {
            throw .truncated(path: path, location: .line(lineNumber), expectedRows: expectedRows, foundRows: rows)
        }
    }

    private mutating func readBinaryRecords(from reader: inout ChunkedFileReader, count: Int) throws(WordVectorsError) {
        var wordBytes: [UInt8] = []
        var values: [UInt8] = []
        let valueBytes = dimension * MemoryLayout<Float>.size
        for row in 0..<count {
            reader.skip(while: { $0 == UInt8(ascii: "\n") })  // the C tool's newline after each record
            let location = WordVectorsError.Location.byte(reader.offset)
            guard try reader.readBytes(upTo: UInt8(ascii: " "), into: &wordBytes) else {
                throw .truncated(path: path, location: .byte(reader.offset), expectedRows: count, foundRows: row)
            }
            let word = try decodeWord(wordBytes[...], at: location)
            guard try reader.readBytes(count: valueBytes, into: &values) else {
                throw .truncated(path: path, location: .byte(reader.offset), expectedRows: count, foundRows: row)
            }
            let start = vectors.count
            for index in 0..<dimension {
                let bits = values.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self) }
                let value = Float(bitPattern: UInt32(littleEndian: bits))
                guard value.isFinite else {
                    let offset = reader.offset - valueBytes + index * 4
                    throw .notANumber(path: path, location: .byte(offset), word: word, value: "\(value)")
                }
                vectors.append(value)
            }
            keep(word, valuesFrom: start, at: location)
        }
        reader.skip(while: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: " ") })
        guard try reader.fillIfNeeded() == false else {
            throw .extraData(path: path, location: .byte(reader.offset), expectedRows: count)
        }
    }

    private func decodeWord(_ bytes: ArraySlice<UInt8>, at location: WordVectorsError.Location) throws(WordVectorsError)
        -> String
    {
        guard !bytes.isEmpty else { throw .emptyWord(path: path, location: location) }
        guard let word = String(validating: bytes, as: UTF8.self) else {
            throw .invalidUTF8Word(path: path, location: location)
        }
        return word
    }

    /// Keeps the row just appended at `start`, unless the word was seen before: then the values are dropped.
    private mutating func keep(_ word: String, valuesFrom start: Int, at location: WordVectorsError.Location) {
        if indexByWord[word] != nil {
            vectors.removeSubrange(start...)
            duplicateCount += 1
            if duplicateWarning == nil {
                duplicateWarning = "\(path): \(location): duplicate word '\(word)' skipped, the first vector is kept"
            }
            return
        }
        indexByWord[word] = words.count
        words.append(word)
    }

    /// Ranges of the space- or tab-separated fields of `line`, ignoring a trailing `\r`.
    static func split(_ line: [UInt8], into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var start: Int?
        for index in line.indices {
            let byte = line[index]
            let isSeparator =
                byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
                || (byte == UInt8(ascii: "\r") && index == line.count - 1)
            if isSeparator {
                if let begin = start { fields.append(begin..<index) }
                start = nil
            } else if start == nil {
                start = index
            }
        }
        if let begin = start { fields.append(begin..<line.count) }
    }
}

extension Int {
    /// A non-negative decimal integer of ASCII digits only (no sign, no spaces); nil otherwise or on overflow.
    fileprivate init?(ascii digits: ArraySlice<UInt8>) {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self = value
    }
}

/// Sequential reads from a file descriptor through a 1 MiB buffer, keeping the absolute offset for errors.
private struct ChunkedFileReader {
    let path: String
    let size: Int
    private let descriptor: Int32
    /// `buffer[position..<filled]` are read but not consumed; the buffer only grows for lines longer than it.
    private var buffer: [UInt8]
    private var filled = 0
    private var position = 0
    /// File offset of `buffer[0]`.
    private var bufferOffset = 0
    private var reachedEnd = false
    private static let chunkSize = 1 << 20

    init(path: String) throws(WordVectorsError) {
        self.path = path
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .missingFile(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(descriptor)  // nothing read yet; the fstat failure is the error worth reporting
            throw .unreadable(path: path, reason: reason)
        }
        guard (status.st_mode & S_IFMT) != S_IFDIR else {
            _ = close(descriptor)  // read-only descriptor, closing cannot lose data
            throw .unreadable(path: path, reason: "is a directory")
        }
        self.descriptor = descriptor
        self.size = Int(status.st_size)
        self.buffer = [UInt8](repeating: 0, count: max(min(Self.chunkSize, size), 4096))
        if size == 0 {
            _ = close(descriptor)  // read-only descriptor, closing cannot lose data
            throw .emptyFile(path: path)
        }
    }

    /// Releases the descriptor; reading only, so a failing close loses nothing.
    func closeDescriptor() { _ = close(descriptor) }

    /// File offset of the next unread byte.
    var offset: Int { bufferOffset + position }

    /// Makes at least one unread byte available; false at the end of the file.
    mutating func fillIfNeeded() throws(WordVectorsError) -> Bool {
        if position < filled { return true }
        return try fill()
    }

    /// Moves the unread bytes to the front and reads more after them; false at the end of the file.
    private mutating func fill() throws(WordVectorsError) -> Bool {
        if reachedEnd { return false }
        if position > 0 {
            let (start, unread) = (position, filled - position)
            buffer.withUnsafeMutableBytes { _ = memmove($0.baseAddress!, $0.baseAddress! + start, unread) }
            bufferOffset += position
            filled = unread
            position = 0
        }
        if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        var count: Int
        repeat {
            count = buffer.withUnsafeMutableBytes { [filled] in
                read(descriptor, $0.baseAddress! + filled, $0.count - filled)
            }
        } while count < 0 && errno == EINTR
        guard count >= 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        filled += count
        if count == 0 { reachedEnd = true }
        return count > 0
    }

    /// The next line without its `\n` into `line`; false when the file had no bytes left.
    mutating func readLine(into line: inout [UInt8]) throws(WordVectorsError) -> Bool {
        line.removeAll(keepingCapacity: true)
        guard try fillIfNeeded() else { return false }
        _ = try readBytes(upTo: UInt8(ascii: "\n"), into: &line)
        return true
    }

    /// Bytes up to `delimiter` (consumed, not stored) into `output`; false if the file ended first.
    mutating func readBytes(upTo delimiter: UInt8, into output: inout [UInt8]) throws(WordVectorsError) -> Bool {
        output.removeAll(keepingCapacity: true)
        while try fillIfNeeded() {
            if let found = buffer[position..<filled].firstIndex(of: delimiter) {
                output.append(contentsOf: buffer[position..<found])
                position = found + 1
                return true
            }
            output.append(contentsOf: buffer[position..<filled])
            position = filled
        }
        return false
    }

    /// Exactly `count` bytes into `output`; false if the file ended first.
    mutating func readBytes(count: Int, into output: inout [UInt8]) throws(WordVectorsError) -> Bool {
        output.removeAll(keepingCapacity: true)
        while output.count < count, try fillIfNeeded() {
            let take = min(count - output.count, filled - position)
            output.append(contentsOf: buffer[position..<(position + take)])
            position += take
        }
        return output.count == count
    }

    /// Consumes bytes while `predicate` holds. Read errors here surface on the next read.
    mutating func skip(while predicate: (UInt8) -> Bool) {
        while (try? fillIfNeeded()) == true {
            guard predicate(buffer[position]) else { return }
            position += 1
        }
    }

    /// Looks ahead, consuming nothing, at the row after a word2vec header: text when the bytes after the word up to
    /// the end of the line are all number characters and separators making at least `min(dimension, 2)` fields.
    /// A first row with the wrong value count still reads as text, so the text parser can report it by line.
    mutating func looksLikeTextRow(dimension: Int) throws(WordVectorsError) -> Bool {
        let needed = min(64 + dimension * 32, 1 << 20)
        while filled - position < needed, try fill() {}
        let window = buffer[position..<filled].prefix(needed)
        guard let space = window.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else {
            return true  // a single field: the text parser reports the missing values
        }
        var fields = 0
        var inField = false
        for byte in window[(space + 1)...] {
            switch byte {
            case UInt8(ascii: "\n"):
                return fields >= min(dimension, 2)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                inField = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                if !inField { fields += 1 }
                inField = true
            default:
                return false
            }
        }
        return fields >= min(dimension, 2)
    }
}
