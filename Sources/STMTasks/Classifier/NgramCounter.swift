import STMText

/// Counts a document's hashed n-gram rows for an `NgramClassifier`, without a dictionary or an allocation per
/// n-gram: counts go into a dense scratch array (cleared again after each document), hashes are 32-bit FNV-1a
/// extended byte by byte, so the character n-grams starting at one position cost one pass over their bytes.
///
/// The rows are exactly those of `SubwordHasher` (character n-grams of `<word>`) and of FNV-1a over a word and
/// over `first second` (word unigrams and bigrams). Holds scratch memory: one instance per thread.
final class NgramCounter {
    let settings: NgramSettings
    /// Per row: its count in the current document; zero between documents. A raw buffer, not a stored array, so
    /// the per-n-gram updates pay no exclusivity check.
    private let counts: UnsafeMutablePointer<Float>
    /// Buffers kept between documents for their capacity (moved out while a document is counted).
    private var buffers = Buffers()

    private struct Buffers {
        var wordRows: [Int] = []
        var characterRows: [Int] = []
        var wrapped: [UInt8] = []
        var scalarEnds: [Int] = []
    }

    init(settings: NgramSettings) {
        self.settings = settings
        counts = .allocate(capacity: settings.featureCount)
        counts.initialize(repeating: 0, count: settings.featureCount)
    }

    deinit { counts.deallocate() }

    /// The document's distinct rows, word rows then character rows, each in order of first occurrence (a function
    /// of the tokens alone, so sums over them run in the same order in every process), and their counts.
    func count(tokens: some Collection<String>) -> (rows: [Int], counts: [Float], wordRowCount: Int) {
        var local = Buffers()
        swap(&local, &buffers)
        defer { swap(&local, &buffers) }
        let wordBuckets = UInt32(truncatingIfNeeded: settings.wordBuckets)
        var previousHash: UInt32?
        for token in tokens {
            let hash = Self.fnv1a(token)
            add(Int(hash % wordBuckets), to: &local.wordRows)
            if let previousHash {
                // FNV-1a over "previous token", " ", "token": continue the previous token's hash.
                var bigram = Self.feed(0x20, into: previousHash)
                bigram = Self.feed(token, into: bigram)
                add(Int(bigram % wordBuckets), to: &local.wordRows)
            }
            previousHash = hash
            countCharacterNgrams(of: token, into: &local)
        }
        let rows = local.wordRows + local.characterRows
        let values = rows.map { counts[$0] }
        for row in rows { counts[row] = 0 }
        let wordRowCount = local.wordRows.count
        local.wordRows.removeAll(keepingCapacity: true)
        local.characterRows.removeAll(keepingCapacity: true)
        return (rows, values, wordRowCount)
    }

    @inline(__always)
    private func add(_ row: Int, to touched: inout [Int]) {
        if counts[row] == 0 { touched.append(row) }
        counts[row] += 1
    }

    /// Every run of `characterMinimumLength...characterMaximumLength` Unicode scalars of `<token>`.
    private func countCharacterNgrams(of token: String, into local: inout Buffers) {
        guard !token.isEmpty else { return }
        local.wrapped.removeAll(keepingCapacity: true)
        local.scalarEnds.removeAll(keepingCapacity: true)
        local.wrapped.append(UInt8(ascii: "<"))
        local.scalarEnds.append(local.wrapped.count)
        for scalar in token.unicodeScalars {
            local.wrapped.append(contentsOf: scalar.utf8)
            local.scalarEnds.append(local.wrapped.count)
        }
        local.wrapped.append(UInt8(ascii: ">"))
        local.scalarEnds.append(local.wrapped.count)
        let buckets = UInt32(truncatingIfNeeded: settings.characterBuckets)
        let offset = settings.wordBuckets
        let (shortest, longest) = (settings.characterMinimumLength, settings.characterMaximumLength)
        let scalarCount = local.scalarEnds.count
        local.wrapped.withUnsafeBufferPointer { bytes in
            local.scalarEnds.withUnsafeBufferPointer { ends in
                for start in 0..<scalarCount {
                    var hash = Self.basis
                    var byte = start == 0 ? 0 : ends[start - 1]
                    for length in 1...longest where start + length <= scalarCount {
                        let end = ends[start + length - 1]
                        while byte < end {
                            hash = Self.feed(bytes[byte], into: hash)
                            byte += 1
                        }
                        if length >= shortest { add(offset + Int(hash % buckets), to: &local.characterRows) }
                    }
                }
            }
        }
    }

    static let basis: UInt32 = 2_166_136_261

    @inline(__always)
    static func feed(_ byte: UInt8, into hash: UInt32) -> UInt32 { (hash ^ UInt32(byte)) &* 16_777_619 }

    static func feed(_ text: String, into hash: UInt32) -> UInt32 {
        var hash = hash
        for byte in text.utf8 { hash = feed(byte, into: hash) }
        return hash
    }

    static func fnv1a(_ text: String) -> UInt32 { feed(text, into: basis) }
}
