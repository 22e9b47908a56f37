public import STMTasks

/// One configured task: the model that runs it and the settings of that model kind
/// (`summary = { model = "summary-news", sentences = 3 }`). Written as a plain model name it has no options.
public struct TaskSpec: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var model: String
    public var options: TaskOptions

    public init(model: String, options: TaskOptions = TaskOptions()) {
        self.model = model
        self.options = options
    }

    /// A model name alone: `["topic": "topic-news"]`.
    public init(stringLiteral model: String) {
        self.init(model: model)
    }

    /// `topic-news`, or `summary-news(sentences=3)` with options.
    public var description: String {
        let settings = options.description
        return settings.isEmpty ? model : "\(model)(\(settings))"
    }

    /// The short forms of the list syntax, `tasks = ["topic", "sentiment", "summary", "translate:de-en"]`: a word
    /// names a task and the shipped model that runs it.
    static let shorthands: [String: (task: String, model: String)] = [
        "topic": ("topic", "topic-news"),
        "sentiment": ("sentiment", "sentiment-en"),
        "question": ("question", "question-trec"),
        "summary": ("summary", "summary-news"),
    ]

    /// A list item: a shorthand word, or `translate:SRC-TGT` (task `translate_SRC_TGT`, model
    /// `translate-SRC-TGT`); nil for anything else.
    static func shorthand(_ item: String) -> (task: String, model: String)? {
        if let known = shorthands[item] { return known }
        let prefix = "translate:"
        guard item.hasPrefix(prefix) else { return nil }
        let pair = item.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard pair.count == 2,
            pair.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { ("a"..."z").contains($0) } })
        else { return nil }
        return ("translate_\(pair[0])_\(pair[1])", "translate-\(pair[0])-\(pair[1])")
    }

    /// The list form's accepted words, for error messages.
    static var shorthandHelp: String {
        shorthands.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + " or \"translate:SRC-TGT\" (e.g. \"translate:de-en\")"
    }
}
