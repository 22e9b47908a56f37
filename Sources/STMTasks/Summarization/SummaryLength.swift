/// How many sentences a summary keeps: a fixed count, or a share of the candidate sentences.
public enum SummaryLength: Sendable, Hashable {
    case sentences(Int)
    case ratio(Double)

    /// The sentence count for a document of `candidates` sentences: at least 1 (for a non-empty document),
    /// at most all of them; a ratio rounds to the nearest count.
    public func count(for candidates: Int) -> Int {
        guard candidates > 0 else { return 0 }
        switch self {
        case .sentences(let n): return max(1, min(n, candidates))
        case .ratio(let r): return max(1, min(candidates, Int((r * Double(candidates)).rounded())))
        }
    }

    /// The indices of the `count` highest scores, in document order (ties: the earlier sentence).
    public static func top(_ scores: [Double], count: Int) -> [Int] {
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return ranked.prefix(count).sorted()
    }
}

/// A sentence chosen for a summary.
public struct ScoredSentence: Sendable, Equatable, Codable {
    /// Position among the document's candidate sentences (0-based; the title is not counted).
    public var index: Int
    public var text: String
    /// The model's probability that the sentence belongs to the summary.
    public var score: Double
    /// Offset of the sentence in the document text, in UTF-8 bytes, where known.
    public var byteOffset: Int?

    public init(index: Int, text: String, score: Double, byteOffset: Int? = nil) {
        self.index = index
        self.text = text
        self.score = score
        self.byteOffset = byteOffset
    }
}
