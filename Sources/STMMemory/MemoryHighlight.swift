/// One of a document's best summary sentences, kept in the window for the stream's digest.
public struct MemoryHighlight: Sendable, Equatable, Codable {
    public var text: String
    /// The summarizer's score for the sentence.
    public var score: Double

    public init(text: String, score: Double) {
        self.text = text
        self.score = score
    }

    /// Highlights kept per document: its best sentences, not its whole summary (the window stays small).
    public static let perDocument = 2
}
