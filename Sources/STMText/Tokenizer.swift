/// Splits text into tokens. Implementations are total: every `String` (empty, control characters, U+FFFD,
/// megabytes long) yields an array, possibly empty, and never traps.
public protocol Tokenizer: Sendable {
    func tokens(in text: String) -> [String]
}
