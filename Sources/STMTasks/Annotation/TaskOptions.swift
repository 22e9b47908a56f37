/// Per-task settings beyond the model's own defaults, from a stream's configuration
/// (`summary = { model = "summary-news", sentences = 3 }`). Each applies to one model kind; `unsupported(by:)`
/// names the ones a model cannot take, so a misplaced setting is a clear configuration error, not ignored.
public struct TaskOptions: Sendable, Hashable, CustomStringConvertible {
    /// Summary length (summarizers); nil: the model's default ratio.
    public var summaryLength: SummaryLength?
    /// Beam width (translators; 1 is greedy); nil: the model's default.
    public var beamWidth: Int?
    /// Sentences translated per document at most (translators): a long document's translation stops there and is
    /// marked truncated, so one large file cannot hold a worker for minutes.
    public var maximumSentences: Int?

    /// What a translation task translates when nothing is configured.
    public static let defaultMaximumSentences = 200

    public init(summaryLength: SummaryLength? = nil, beamWidth: Int? = nil, maximumSentences: Int? = nil) {
        self.summaryLength = summaryLength
        self.beamWidth = beamWidth
        self.maximumSentences = maximumSentences
    }

    /// The configuration keys set here that `model` has no use for.
    public func unsupported(by model: TaskModel) -> [String] {
        var keys: [String] = []
        let isSummarizer: Bool
        let isTranslator: Bool
        switch model {
        case .classifier: (isSummarizer, isTranslator) = (false, false)
        case .summarizer: (isSummarizer, isTranslator) = (true, false)
        case .translator: (isSummarizer, isTranslator) = (false, true)
        }
        if let summaryLength, !isSummarizer {
            switch summaryLength {
            case .sentences: keys.append("sentences")
            case .ratio: keys.append("ratio")
            }
        }
        if beamWidth != nil, !isTranslator { keys.append("beam") }
        if maximumSentences != nil, !isTranslator { keys.append("max_sentences") }
        return keys
    }

    /// Stable text for cache keys and logs: `sentences=3,beam=5`; empty when nothing is set.
    public var description: String {
        var parts: [String] = []
        switch summaryLength {
        case .sentences(let count): parts.append("sentences=\(count)")
        case .ratio(let ratio): parts.append("ratio=\(ratio)")
        case nil: break
        }
        if let beamWidth { parts.append("beam=\(beamWidth)") }
        if let maximumSentences { parts.append("max_sentences=\(maximumSentences)") }
        return parts.joined(separator: ",")
    }
}
