/// What the memory needs to know about a new document.
public struct MemoryDocument: Sendable {
    /// Lowercase hex SHA-256 of its bytes; the window id is its first 16 digits.
    public var sha256: String
    public var name: String
    /// Event time (the file's mtime), seconds since the epoch.
    public var time: Double
    /// The document vector `e` of the topic task (any length; not yet normalised).
    public var vector: [Float]
    /// Task name → chosen label.
    public var labels: [String: String]
    /// How many labels the topic task has (for the smoothed label frequencies of the topic-mix detector).
    public var topicLabelCount: Int
    /// Sentiment in [−1, 1]; nil without a sentiment task.
    public var sentiment: Double?
    /// The best sentences of its summary, if a summary task ran.
    public var highlights: [MemoryHighlight]

    public init(
        sha256: String, name: String, time: Double, vector: [Float], labels: [String: String], topicLabelCount: Int,
        sentiment: Double?, highlights: [MemoryHighlight] = []
    ) {
        self.sha256 = sha256
        self.name = name
        self.time = time
        self.vector = vector
        self.labels = labels
        self.topicLabelCount = topicLabelCount
        self.sentiment = sentiment
        self.highlights = highlights
    }

    /// Sentiment from a classifier's labels and probabilities: P(positive) − P(negative); nil when it has neither.
    public static func sentiment(labels: [String], probabilities: [Float]) -> Double? {
        var positive: Double?
        var negative: Double?
        for (label, probability) in zip(labels, probabilities) {
            switch label.lowercased() {
            case "positive", "pos": positive = Double(probability)
            case "negative", "neg": negative = Double(probability)
            default: break
            }
        }
        guard positive != nil || negative != nil else { return nil }
        return (positive ?? 0) - (negative ?? 0)
    }
}
