/// How text becomes a `TextFeatures` value: stored in a model's configuration so training and serving agree.
public struct FeatureSettings: Codable, Sendable, Equatable {
    /// Character n-gram hash buckets for the token table (0: none; unknown words then share `<unk>`).
    public var subwordBuckets: Int
    public var subwordMinimumLength: Int
    public var subwordMaximumLength: Int
    /// Known words also add their n-gram rows to their bag (fastText's subword model), so rare words share
    /// strength with their relatives; off, only unknown words use n-grams.
    public var subwordsForKnownWords: Bool
    /// Hash buckets for word bigrams in the bag path (0: unigrams only).
    public var bigramBuckets: Int
    /// Longer documents are cut to their first `maximumTokens` tokens (a long article's topic is clear by then,
    /// and it bounds the recurrence's cost).
    public var maximumTokens: Int
    /// Vocabulary bounds: minimum count and maximum size (specials included).
    public var minimumCount: Int
    public var maximumVocabularySize: Int

    public init(
        subwordBuckets: Int = 10_000, subwordMinimumLength: Int = 3, subwordMaximumLength: Int = 5,
        subwordsForKnownWords: Bool = true, bigramBuckets: Int = 20_000, maximumTokens: Int = 400,
        minimumCount: Int = 2, maximumVocabularySize: Int = 20_000
    ) {
        self.subwordBuckets = subwordBuckets
        self.subwordMinimumLength = subwordMinimumLength
        self.subwordMaximumLength = subwordMaximumLength
        self.subwordsForKnownWords = subwordsForKnownWords
        self.bigramBuckets = bigramBuckets
        self.maximumTokens = maximumTokens
        self.minimumCount = minimumCount
        self.maximumVocabularySize = maximumVocabularySize
    }

    /// The first problem with these settings, or nil.
    public func validationError() -> String? {
        if subwordBuckets < 0 { return "subword buckets must not be negative (got \(subwordBuckets))" }
        if subwordMinimumLength < 1 || subwordMaximumLength < subwordMinimumLength {
            return "subword n-gram lengths \(subwordMinimumLength)...\(subwordMaximumLength) are not a valid range"
        }
        if bigramBuckets < 0 { return "bigram buckets must not be negative (got \(bigramBuckets))" }
        if maximumTokens < 1 { return "maximum tokens must be at least 1 (got \(maximumTokens))" }
        if minimumCount < 1 { return "minimum count must be at least 1 (got \(minimumCount))" }
        if maximumVocabularySize < 2 { return "maximum vocabulary size must be at least 2 (got \(maximumVocabularySize))" }
        return nil
    }
}
