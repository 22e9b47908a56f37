#if canImport(Glibc)
import Glibc
#endif

/// TextRank for sentence extraction (Mihalcea & Tarau 2004): a graph of the sentences weighted by their
/// similarity `|Sᵢ ∩ Sⱼ| / (log|Sᵢ| + log|Sⱼ|)` over stemmed content words, ranked by weighted PageRank
/// (damping 0.85). The unsupervised baseline the learned summarizer is compared with.
public struct TextRank: Sendable {
    public var damping: Double = 0.85
    public var iterations: Int = 100
    let scorer = RougeScorer()

    public init() {}

    /// A common English stop-word list (articles, pronouns, auxiliaries, prepositions).
    static let stopWords: Set<String> = Set(
        ("a an the and or but if of at by for with about against between into through during before after above below "
            + "to from up down in out on off over under again further then once here there when where why how all any "
            + "both each few more most other some such no nor not only own same so than too very s t can will just "
            + "don should now i me my we our you your he him his she her it its they them their what which who whom "
            + "this that these those am is are was were be been being have has had having do does did doing would "
            + "could said say says also mr")
            .split(separator: " ").map(String.init))

    /// One score per sentence (higher is more central).
    public func scores(_ sentences: [String]) -> [Double] {
        let n = sentences.count
        guard n > 1 else { return [Double](repeating: 1, count: n) }
        let words = sentences.map { Set(scorer.tokens($0).filter { !Self.stopWords.contains($0) }) }
        var weights = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n where words[i].count > 1 && words[j].count > 1 {
                let common = Double(words[i].intersection(words[j]).count)
                let similarity = common / (log(Double(words[i].count)) + log(Double(words[j].count)))
                weights[i][j] = similarity
                weights[j][i] = similarity
            }
        }
        let outgoing = weights.map { $0.reduce(0, +) }
        var rank = [Double](repeating: 1, count: n)
        for _ in 0..<iterations {
            var next = [Double](repeating: 1 - damping, count: n)
            for i in 0..<n {
                for j in 0..<n where weights[j][i] > 0 && outgoing[j] > 0 {
                    next[i] += damping * weights[j][i] / outgoing[j] * rank[j]
                }
            }
            let change = zip(next, rank).reduce(0) { max($0, abs($1.0 - $1.1)) }
            rank = next
            if change < 1e-8 { break }
        }
        return rank
    }
}
