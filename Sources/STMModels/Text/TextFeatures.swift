/// One document as the text classifier's inputs: row ids into its two embedding tables.
///
/// Made by the text layer (tokenizer, vocabulary, hashers); the model only sees ids.
public struct TextFeatures: Sendable, Hashable {
    /// Per token, the rows of the token table whose mean is the token's vector: its word row when the word is
    /// known, and its character n-gram bucket rows. An empty bag is a zero vector.
    public var tokens: [[Int]]
    /// The document's bag for the linear path: rows of the bag table (words and hashed word bigrams).
    public var bag: [Int]

    public init(tokens: [[Int]], bag: [Int] = []) {
        self.tokens = tokens
        self.bag = bag
    }
}
