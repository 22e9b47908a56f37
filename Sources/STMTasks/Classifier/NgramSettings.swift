/// The n-gram member of a classifier bundle: a logistic regression over hashed TF-IDF features (word unigrams
/// and bigrams, and character n-grams inside words), trained beside the recurrent network and averaged with it.
///
/// Why it is there: on these small datasets a linear model over surface n-grams is as strong as the network
/// on some sets and makes different mistakes, so the average beats both (measured per model in BENCHMARKS.md,
/// "Text classifiers"). It costs a few hundred kilobytes and a few microseconds per document.
public struct NgramSettings: Codable, Sendable, Equatable {
    /// Hash buckets shared by word unigrams and bigrams.
    public var wordBuckets: Int
    /// Hash buckets for character n-grams of each word (wrapped as `<word>`).
    public var characterBuckets: Int
    public var characterMinimumLength: Int
    public var characterMaximumLength: Int
    /// The n-gram model's share of the averaged probabilities (the network has the rest).
    public var weight: Float
    /// Training: passes over the data, and sklearn's `C` (inverse L2 strength per example).
    public var epochs: Int
    public var inverseRegularization: Float

    public init(
        wordBuckets: Int = 1 << 15, characterBuckets: Int = 1 << 15, characterMinimumLength: Int = 2,
        characterMaximumLength: Int = 5, weight: Float = 0.5, epochs: Int = 10, inverseRegularization: Float = 10
    ) {
        self.wordBuckets = wordBuckets
        self.characterBuckets = characterBuckets
        self.characterMinimumLength = characterMinimumLength
        self.characterMaximumLength = characterMaximumLength
        self.weight = weight
        self.epochs = epochs
        self.inverseRegularization = inverseRegularization
    }

    /// Rows of the weight matrix: word buckets, then character buckets.
    public var featureCount: Int { wordBuckets + characterBuckets }

    /// The first problem with these settings, or nil.
    public func validationError() -> String? {
        if wordBuckets < 1 || characterBuckets < 1 {
            return "n-gram buckets must be positive (got \(wordBuckets) word, \(characterBuckets) character)"
        }
        if characterMinimumLength < 1 || characterMaximumLength < characterMinimumLength {
            return "character n-gram lengths \(characterMinimumLength)...\(characterMaximumLength) are not a valid range"
        }
        if !(weight > 0 && weight < 1) { return "the n-gram model's weight must be between 0 and 1 (got \(weight))" }
        if epochs < 1 { return "n-gram epochs must be at least 1 (got \(epochs))" }
        if !(inverseRegularization > 0) { return "the n-gram model's C must be positive (got \(inverseRegularization))" }
        return nil
    }
}
