/// One token of encoded text: its vocabulary id and, when the word is unknown, its subword buckets.
public struct EncodedToken: Sendable, Hashable {
    /// The token as the tokenizer produced it (after normalisation).
    public var token: String
    /// Vocabulary id, `Vocabulary.unknownID` for out-of-vocabulary tokens.
    public var id: Int
    /// Subword bucket ids (after the vocabulary) for unknown tokens; empty for known tokens or without a hasher.
    public var buckets: [Int]

    public init(token: String, id: Int, buckets: [Int]) {
        self.token = token
        self.id = id
        self.buckets = buckets
    }

    public var isKnown: Bool { id != Vocabulary.unknownID }
}

/// Text → ids: normaliser, tokenizer, vocabulary and an optional subword hasher in one value, so training
/// and serving cannot disagree on how text becomes ids. Named to avoid clashing with Foundation's `Encoder`.
public struct TokenEncoder: Sendable {
    public let normalizer: TextNormalizer
    public let tokenizer: any Tokenizer
    public let vocabulary: Vocabulary
    public let hasher: SubwordHasher?

    public init(
        normalizer: TextNormalizer = TextNormalizer(),
        tokenizer: any Tokenizer = WordTokenizer(),
        vocabulary: Vocabulary,
        hasher: SubwordHasher? = nil
    ) {
        if let hasher {
            precondition(
                hasher.offset >= vocabulary.count,
                "TokenEncoder: hasher offset \(hasher.offset) overlaps the vocabulary (\(vocabulary.count) tokens)")
        }
        self.normalizer = normalizer
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.hasher = hasher
    }

    /// The normalised tokens of `text` (what the vocabulary is built from).
    public func tokens(_ text: String) -> [String] {
        tokenizer.tokens(in: normalizer.normalize(text))
    }

    /// Encodes `text`; empty or whitespace-only text gives an empty array.
    public func encode(_ text: String) -> [EncodedToken] {
        tokens(text).map { token in
            let id = vocabulary.id(for: token)
            let buckets = id == Vocabulary.unknownID ? (hasher?.buckets(for: token) ?? []) : []
            return EncodedToken(token: token, id: id, buckets: buckets)
        }
    }

    /// Vocabulary ids only, `Vocabulary.unknownID` for unknown tokens.
    public func ids(_ text: String) -> [Int] {
        tokens(text).map { vocabulary.id(for: $0) }
    }
}
