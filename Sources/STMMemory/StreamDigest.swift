/// A stream's rolling digest: the summary of its recent documents, built from each window document's highlights
/// (its summary's best sentences). The best-scored sentences win, a sentence that repeats one already taken
/// (most of its words shared) is skipped, and the result reads oldest first, as the stream happened.
public struct StreamDigest: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        /// The window document the sentence comes from.
        public var sequence: Int
        public var name: String
        public var text: String
        public var score: Double
    }

    public var items: [Item]

    /// Sentences sharing at least this share of their distinct words (Jaccard) count as the same news.
    public static let repeatThreshold = 0.6

    /// The digest of `entries` (a window, oldest first): at most `sentences` sentences.
    public init(entries: [MemoryEntry], sentences: Int = 5) {
        var candidates: [(item: Item, words: Set<Substring>)] = []
        for entry in entries {
            for highlight in entry.highlights {
                let item = Item(sequence: entry.sequence, name: entry.name, text: highlight.text, score: highlight.score)
                candidates.append((item, Self.words(highlight.text)))
            }
        }
        // Best first; among equals the newer document, then its earlier sentence.
        candidates.sort { a, b in
            a.item.score != b.item.score ? a.item.score > b.item.score : a.item.sequence > b.item.sequence
        }
        var chosen: [(item: Item, words: Set<Substring>)] = []
        for candidate in candidates where chosen.count < sentences {
            if chosen.contains(where: { Self.jaccard($0.words, candidate.words) >= Self.repeatThreshold }) { continue }
            chosen.append(candidate)
        }
        items = chosen.map(\.item).sorted { $0.sequence < $1.sequence }
    }

    static func words(_ text: String) -> Set<Substring> {
        Set(text.lowercased().split { !$0.isLetter && !$0.isNumber })
    }

    static func jaccard(_ a: Set<Substring>, _ b: Set<Substring>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }
}
