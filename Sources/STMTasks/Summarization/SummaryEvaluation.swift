/// ROUGE of a summarizer and of the baselines at the same length, article by article:
/// - `model`: the summarizer's top sentences (its length rule decides K for the article);
/// - `lead`: the first K sentences; `textrank`: TextRank's top K, in document order;
/// - `lead3`: the first 3 sentences whatever K is (the fixed baseline news summarization papers report);
/// - `oracle`: the article sentences the reference was built from (the labels), the extractive upper bound.
public struct SummaryEvaluation: Sendable {
    public static let systems = ["model", "lead", "textrank", "lead3", "oracle"]

    public var averages: [String: RougeAverage] = [:]
    public var documents = 0
    /// Sentences the model kept, summed over the articles.
    public var selectedSentences = 0
    public var candidateSentences = 0

    public init() {}

    /// Scores one article; `scores` are the model's per-sentence scores, `count` how many it keeps.
    public mutating func add(_ example: SummaryCorpus.Example, scores: [Double], count: Int, scorer: RougeScorer, textRank: TextRank) {
        let sentences = example.document.sentences
        func text(_ indices: [Int]) -> String { indices.map { sentences[$0] }.joined(separator: "\n") }
        let picks: [String: [Int]] = [
            "model": SummaryLength.top(scores, count: count),
            "lead": Array(0..<min(count, sentences.count)),
            "lead3": Array(0..<min(3, sentences.count)),
            "textrank": SummaryLength.top(textRank.scores(sentences), count: count),
            "oracle": example.labels.indices.filter { example.labels[$0] },
        ]
        for (system, indices) in picks {
            averages[system, default: RougeAverage()].add(scorer.score(prediction: text(indices), reference: example.reference))
        }
        documents += 1
        selectedSentences += count
        candidateSentences += sentences.count
    }

    /// Mean F1 per system.
    public var means: [String: RougeAverage] { averages.mapValues(\.mean) }

    /// A Markdown table, systems in `systems` order, scores in percent.
    public func table() -> String {
        var lines = ["| system | ROUGE-1 F1 | ROUGE-2 F1 | ROUGE-L F1 |", "| --- | ---: | ---: | ---: |"]
        for system in Self.systems {
            guard let mean = means[system] else { continue }
            lines.append("| \(system) | \(Self.percent(mean.rouge1)) | \(Self.percent(mean.rouge2)) | \(Self.percent(mean.rougeL)) |")
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String { String(format2: value * 100) }
}

extension SummaryEvaluation {
    /// Scores `summarizer` and the baselines on every example (length: the summarizer's default when nil).
    public static func run(_ summarizer: Summarizer, on examples: [SummaryCorpus.Example], length: SummaryLength? = nil) -> SummaryEvaluation {
        let scorer = RougeScorer(), textRank = TextRank()
        let rule = length ?? .ratio(summarizer.configuration.defaultRatio)
        var evaluation = SummaryEvaluation()
        // One article at a time, as `stmd summarize` and the daemon run them: a batch rounds differently in the
        // last bits, which can swap two near-tied sentences.
        for example in examples {
            let scores = summarizer.scores(example.document)
            evaluation.add(example, scores: scores, count: rule.count(for: scores.count), scorer: scorer, textRank: textRank)
        }
        return evaluation
    }
}
