#if canImport(Glibc)
import Glibc
#endif

/// Lexical numbers per sentence that the summarizer joins to its learned sentence vectors: what a recurrent
/// network trained on 1,600 articles finds hard to learn on its own — how central a sentence's words are to the
/// whole document. Set `lexical-1`, six features, each in [0, 1]:
/// 1. mean document frequency of the sentence's content words (stemmed, stop words removed), ÷ the document's maximum;
/// 2. its rank among the sentences (1 for the highest, towards 0 for the lowest);
/// 3. the TextRank score ÷ the document's maximum; 4. its rank;
/// 5. the share of the title's content words the sentence contains (0 without a title);
/// 6. length: log(1 + tokens) / log(100), capped at 1.
public enum SentenceFeatures {
    public static let name = "lexical-1"
    public static let count = 6

    public static func compute(_ document: SummaryDocument) -> [[Float]] {
        let scorer = RougeScorer()
        let sentences = document.sentences
        let n = sentences.count
        guard n > 0 else { return [] }
        let tokens = sentences.map { scorer.tokens($0) }
        let content = tokens.map { $0.filter { !TextRank.stopWords.contains($0) } }
        var frequency: [String: Int] = [:]
        for words in content { for word in words { frequency[word, default: 0] += 1 } }
        let meanFrequency = content.map { words in
            words.isEmpty ? 0 : Double(words.reduce(0) { $0 + frequency[$1]! }) / Double(words.count)
        }
        let textRank = TextRank().scores(sentences)
        let titleWords = Set((document.title.map { scorer.tokens($0) } ?? []).filter { !TextRank.stopWords.contains($0) })
        let frequencyRanks = ranks(meanFrequency), textRankRanks = ranks(textRank)
        let maxFrequency = max(meanFrequency.max()!, 1e-9), maxTextRank = max(textRank.max()!, 1e-9)
        return (0..<n).map { i in
            let titleShare = titleWords.isEmpty ? 0 : Double(titleWords.intersection(content[i]).count) / Double(titleWords.count)
            return [
                meanFrequency[i] / maxFrequency, frequencyRanks[i], textRank[i] / maxTextRank, textRankRanks[i], titleShare,
                min(1, log(1 + Double(tokens[i].count)) / log(100)),
            ].map { Float($0) }
        }
    }

    /// 1 for the highest value, falling linearly to 1/n for the lowest (ties share the better rank).
    static func ranks(_ values: [Double]) -> [Double] {
        let n = values.count
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let above = values.filter { $0 > values[i] }.count
            out[i] = Double(n - above) / Double(n)
        }
        return out
    }
}
