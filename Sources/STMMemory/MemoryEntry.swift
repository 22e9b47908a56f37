/// One document as the window remembers it.
public struct MemoryEntry: Sendable, Equatable {
    /// A stable id: the first 16 hex digits of the content's SHA-256 (never random), so equal content has equal ids.
    public var id: String
    /// The stream's count at this document (1 for the first): orders the window and keys its database rows.
    public var sequence: Int
    /// The document's name for display (its path under the stream, escaped like `input.name`).
    public var name: String
    /// Event time (the file's mtime), seconds since the epoch.
    public var time: Double
    /// The document vector `e`, scaled to unit length (zero stays zero), so cosine similarity is a dot product.
    public var vector: [Float]
    /// Task name → chosen label.
    public var labels: [String: String]
    /// Sentiment in [−1, 1] (P(positive) − P(negative)); nil when the stream has no sentiment task.
    public var sentiment: Double?
    /// The document's best summary sentences (empty without a summary task), for the stream's digest.
    public var highlights: [MemoryHighlight]

    public init(
        id: String, sequence: Int, name: String, time: Double, vector: [Float], labels: [String: String], sentiment: Double?,
        highlights: [MemoryHighlight] = []
    ) {
        self.id = id
        self.sequence = sequence
        self.name = name
        self.time = time
        self.vector = vector
        self.labels = labels
        self.sentiment = sentiment
        self.highlights = highlights
    }
}
