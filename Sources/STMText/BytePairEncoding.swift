/// A byte-pair-encoding subword vocabulary (Sennrich, Haddow & Birch 2016), learned and applied here.
///
/// Text is first cut into pieces by `SubwordPretokenizer` (words, runs of digits, single punctuation marks; a
/// piece that starts a whitespace-separated chunk carries the `▁` marker, so decoding is lossless for text
/// with single spaces). Learning starts from the characters of the training text and repeatedly merges the
/// most frequent adjacent pair; ties go to the pair whose ids are smallest, so the same text always gives
/// the same merges. Encoding applies the merges by rank. A character never seen in training is spelled as
/// its UTF-8 bytes (`<0xNN>` tokens, always in the vocabulary), so no input ever becomes `<unk>`.
///
/// Ids: 0 `<pad>`, 1 `<s>`, 2 `</s>`, 3 `<unk>` (reserved, never produced), 4…259 the 256 byte tokens, then
/// the base characters in code-point order, then one token per merge in merge order. One vocabulary serves
/// both languages of a translation pair, so source, target and output embeddings can be one table.
public struct BytePairEncoding: Sendable, Hashable, Codable {
    public static let paddingID = 0
    public static let startID = 1
    public static let endID = 2
    public static let unknownID = 3
    static let specials = ["<pad>", "<s>", "</s>", "<unk>"]
    static let firstByteID = 4

    /// Every token in id order.
    public let tokens: [String]
    /// The merges in the order they were learned: `merges[r]` made token `tokens[mergeBase + r]`.
    public let merges: [[Int]]
    private let idsByToken: [String: Int]
    private let ranksByPair: [Pair: Int]

    struct Pair: Hashable, Comparable, Sendable {
        let left: Int
        let right: Int
        static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
    }

    public var count: Int { tokens.count }

    private enum CodingKeys: String, CodingKey { case tokens, merges }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try container.decode([String].self, forKey: .tokens)
        let merges = try container.decode([[Int]].self, forKey: .merges)
        guard tokens.count >= Self.firstByteID + 256 + merges.count, Array(tokens.prefix(4)) == Self.specials,
            merges.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0 >= 0 && $0 < tokens.count } })
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a BPE vocabulary"))
        }
        self.init(tokens: tokens, merges: merges)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(merges, forKey: .merges)
    }

    init(tokens: [String], merges: [[Int]]) {
        self.tokens = tokens
        self.merges = merges
        var ids: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        idsByToken = ids
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in merges.enumerated() { ranks[Pair(left: merge[0], right: merge[1])] = rank }
        ranksByPair = ranks
    }

    static func byteToken(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
    }

    /// Learns at most `mergeCount` merges from `lines` (fewer when no pair occurs twice).
    public static func learn<Lines: Sequence<String>>(from lines: Lines, mergeCount: Int) -> BytePairEncoding {
        var pieceCounts: [String: Int] = [:]
        for line in lines {
            for piece in SubwordPretokenizer.pieces(of: line) { pieceCounts[piece, default: 0] += 1 }
        }
        let characters = Set(pieceCounts.keys.flatMap { $0.map(String.init) }).sorted {
            $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value))
        }
        var tokens = specials + (0...255).map { byteToken(UInt8($0)) }
        var ids: [String: Int] = [:]
        for character in characters where ids[character] == nil {
            ids[character] = tokens.count
            tokens.append(character)
        }
        // Pieces in a fixed order, each as a symbol sequence with its count.
        let pieces = pieceCounts.sorted { $0.key < $1.key }
        var words = pieces.map { $0.key.map { ids[String($0)]! } }
        let weights = pieces.map(\.value)
        var pairCounts: [Pair: Int] = [:]
        var wordsByPair: [Pair: Set<Int>] = [:]
        for (w, symbols) in words.enumerated() {
            for (a, b) in zip(symbols, symbols.dropFirst()) {
                let pair = Pair(left: a, right: b)
                pairCounts[pair, default: 0] += weights[w]
                wordsByPair[pair, default: []].insert(w)
            }
        }
        var heap = PairHeap()
        for (pair, count) in pairCounts { heap.push(count: count, pair: pair) }
        var merges: [[Int]] = []
        while merges.count < mergeCount, let (count, pair) = heap.pop() {
            guard pairCounts[pair] == count else { continue }  // stale entry
            guard count >= 2 else { break }
            let newID = tokens.count
            tokens.append(tokens[pair.left] + tokens[pair.right])
            merges.append([pair.left, pair.right])
            var touched: Set<Pair> = []
            for w in (wordsByPair[pair] ?? []).sorted() {
                let old = words[w]
                var merged: [Int] = []
                merged.reserveCapacity(old.count)
                var i = 0
                while i < old.count {
                    if i + 1 < old.count, old[i] == pair.left, old[i + 1] == pair.right {
                        merged.append(newID)
                        i += 2
                    } else {
                        merged.append(old[i])
                        i += 1
                    }
                }
                for (a, b) in zip(old, old.dropFirst()) {
                    let p = Pair(left: a, right: b)
                    pairCounts[p, default: 0] -= weights[w]
                    touched.insert(p)
                }
                for (a, b) in zip(merged, merged.dropFirst()) {
                    let p = Pair(left: a, right: b)
                    pairCounts[p, default: 0] += weights[w]
                    wordsByPair[p, default: []].insert(w)
                    touched.insert(p)
                }
                words[w] = merged
            }
            wordsByPair[pair] = nil
            pairCounts[pair] = nil
            for p in touched.sorted() {
                if let c = pairCounts[p], c > 0 { heap.push(count: c, pair: p) } else { pairCounts[p] = nil }
            }
        }
        return BytePairEncoding(tokens: tokens, merges: merges)
    }

    /// Token ids of `text` (no `<s>` / `</s>`).
    public func encode(_ text: String) -> [Int] {
        SubwordPretokenizer.pieces(of: text).flatMap { encodePiece($0) }
    }

    /// The tokens of `text`, for inspection.
    public func tokenize(_ text: String) -> [String] { encode(text).map { tokens[$0] } }

    /// Ids of one pretokenized piece (see `SubwordPretokenizer`).
    public func encodePiece(_ piece: String) -> [Int] {
        var symbols: [Int] = []
        for character in piece {
            if let id = idsByToken[String(character)], id >= Self.firstByteID + 256 {
                symbols.append(id)
            } else {
                symbols += String(character).utf8.map { Self.firstByteID + Int($0) }
            }
        }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(symbols.count - 1) {
                if let rank = ranksByPair[Pair(left: symbols[i], right: symbols[i + 1])], rank < (best?.rank ?? .max) {
                    best = (rank, i)
                }
            }
            guard let best else { break }
            let pair = merges[best.rank]
            var merged: [Int] = []
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == pair[0], symbols[i + 1] == pair[1] {
                    merged.append(Self.firstByteID + 256 + characterCount + best.rank)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    /// Number of base-character tokens (between the byte tokens and the merges).
    var characterCount: Int { tokens.count - Self.firstByteID - 256 - merges.count }

    /// The text of `ids`: special tokens dropped, byte tokens reassembled into UTF-8 (invalid sequences
    /// become U+FFFD), `▁` turned back into spaces.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= Self.firstByteID && id < tokens.count {
            if id < Self.firstByteID + 256 {
                bytes.append(UInt8(id - Self.firstByteID))
            } else {
                bytes += Array(tokens[id].utf8)
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let spaced = text.replacingAll(SubwordPretokenizer.wordStart, with: " ")
        return String(spaced.drop { $0 == " " })
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}

/// A max-heap of (count, pair), ties to the smaller pair, for picking the next merge.
struct PairHeap {
    private var items: [(count: Int, pair: BytePairEncoding.Pair)] = []

    private static func above(_ a: (count: Int, pair: BytePairEncoding.Pair), _ b: (count: Int, pair: BytePairEncoding.Pair)) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(count: Int, pair: BytePairEncoding.Pair) {
        items.append((count, pair))
        var i = items.count - 1
        while i > 0, Self.above(items[i], items[(i - 1) / 2]) {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> (Int, BytePairEncoding.Pair)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count, Self.above(items[l], items[best]) { best = l }
                if r < items.count, Self.above(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return (top.count, top.pair)
    }
}
