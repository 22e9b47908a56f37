public import STMModels
public import STMText

/// Text → `TextFeatures`: normalisation, word tokens, vocabulary ids, character n-gram buckets for the token
/// table and hashed word bigrams for the bag table. Deterministic on every platform (FNV-1a, never Swift's
/// seeded hashing), so a model's features are the same wherever it runs.
///
/// Token table rows: `[0, vocabulary)` words, then `subwordBuckets` n-gram rows.
/// Bag table rows: `[0, vocabulary)` words, then `bigramBuckets` bigram rows.
public struct TextFeaturizer: Sendable {
    public let settings: FeatureSettings
    public let encoder: TokenEncoder

    public init(settings: FeatureSettings, vocabulary: Vocabulary) {
        self.settings = settings
        let hasher = settings.subwordBuckets > 0
            ? SubwordHasher(
                bucketCount: settings.subwordBuckets, offset: vocabulary.count,
                ngramLengths: settings.subwordMinimumLength...settings.subwordMaximumLength)
            : nil
        encoder = TokenEncoder(vocabulary: vocabulary, hasher: hasher)
    }

    /// Builds the vocabulary from training texts, with the settings' bounds.
    public static func buildVocabulary(from texts: [String], settings: FeatureSettings) -> Vocabulary {
        let tokenizing = TokenEncoder(vocabulary: Vocabulary(counts: [:]))
        var counts: [String: Int] = [:]
        for text in texts {
            for token in tokenizing.tokens(text).prefix(settings.maximumTokens) { counts[token, default: 0] += 1 }
        }
        return Vocabulary(counts: counts, minimumCount: settings.minimumCount, maximumSize: settings.maximumVocabularySize)
    }

    public var vocabulary: Vocabulary { encoder.vocabulary }
    public var tokenRows: Int { vocabulary.count + settings.subwordBuckets }
    public var bagRows: Int { vocabulary.count + settings.bigramBuckets }

    /// The document's features, and its token count before cutting to `maximumTokens`.
    public func features(_ text: String) -> (features: TextFeatures, tokenCount: Int) {
        features(tokens: encoder.tokens(text))
    }

    /// The features of text already normalised and tokenized by `encoder.tokens` (every featurizer uses the same
    /// normaliser and tokenizer, so several models can share one tokenization of a document).
    public func features(tokens all: [String]) -> (features: TextFeatures, tokenCount: Int) {
        let tokens = all.prefix(settings.maximumTokens)
        var tokenBags: [[Int]] = []
        tokenBags.reserveCapacity(tokens.count)
        var bag: [Int] = []
        bag.reserveCapacity(tokens.count * 2)
        var previous: String?
        for token in tokens {
            let id = vocabulary.id(for: token)
            var rows = [id]
            if let hasher = encoder.hasher, id == Vocabulary.unknownID || settings.subwordsForKnownWords {
                rows += hasher.buckets(for: token)
            }
            tokenBags.append(rows)
            if id != Vocabulary.unknownID { bag.append(id) }
            if settings.bigramBuckets > 0, let previous {
                bag.append(vocabulary.count + Self.bigramBucket(previous, token, buckets: settings.bigramBuckets))
            }
            previous = token
        }
        return (TextFeatures(tokens: tokenBags, bag: bag), all.count)
    }

    /// FNV-1a over `first`, a space, `second` (UTF-8), modulo the bucket count.
    static func bigramBucket(_ first: String, _ second: String, buckets: Int) -> Int {
        let hash = SubwordHasher.fnv1a(Array(first.utf8) + [0x20] + Array(second.utf8))
        return Int(hash % UInt32(truncatingIfNeeded: buckets))
    }
}
