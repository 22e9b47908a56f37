public import STMModels
public import STMText

/// An extractive summarizer's `config.json`: identity, network shape, how sentences become word ids, the
/// default summary length, and how it was trained.
public struct SummarizerConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-extractive-summarizer-1"

    public var format: String = currentFormat
    public var name: String
    public var version: String
    public var task: String = "summarize"
    public var embeddingSize: Int
    public var wordHiddenSize: Int
    public var sentenceHiddenSize: Int
    public var absolutePositions: Int
    public var relativePositions: Int
    public var embeddingDropout: Float
    public var sentenceDropout: Float
    /// Sentences are cut to this many tokens.
    public var maximumSentenceTokens: Int
    /// The default summary length: this share of the candidate sentences (rounded, at least 1).
    public var defaultRatio: Double
    /// The lexical features joined to the sentence vectors (`SentenceFeatures.name`), or nil for none.
    public var sentenceFeatures: String?

    public var training: SummarizerTrainingRecord?

    public init(
        name: String, version: String = "1", embeddingSize: Int = 64, wordHiddenSize: Int = 64, sentenceHiddenSize: Int = 64,
        absolutePositions: Int = 40, relativePositions: Int = 10, embeddingDropout: Float = 0.1, sentenceDropout: Float = 0.2,
        maximumSentenceTokens: Int = 60, defaultRatio: Double = 0.4, sentenceFeatures: String? = SentenceFeatures.name
    ) {
        self.sentenceFeatures = sentenceFeatures
        self.name = name
        self.version = version
        self.embeddingSize = embeddingSize
        self.wordHiddenSize = wordHiddenSize
        self.sentenceHiddenSize = sentenceHiddenSize
        self.absolutePositions = absolutePositions
        self.relativePositions = relativePositions
        self.embeddingDropout = embeddingDropout
        self.sentenceDropout = sentenceDropout
        self.maximumSentenceTokens = maximumSentenceTokens
        self.defaultRatio = defaultRatio
    }

    public func validationError() -> String? {
        if embeddingSize < 1 || wordHiddenSize < 1 || sentenceHiddenSize < 1 { return "sizes must be positive" }
        if absolutePositions < 1 || relativePositions < 1 { return "position buckets must be positive" }
        if !(0..<1).contains(embeddingDropout) || !(0..<1).contains(sentenceDropout) { return "dropout rates must be in [0, 1)" }
        if maximumSentenceTokens < 1 { return "maximumSentenceTokens must be at least 1" }
        if !(defaultRatio > 0 && defaultRatio <= 1) { return "defaultRatio must be in (0, 1]" }
        if let sentenceFeatures, sentenceFeatures != SentenceFeatures.name {
            return "unknown sentence features '\(sentenceFeatures)' (this stmd knows '\(SentenceFeatures.name)')"
        }
        return nil
    }

    public func makeModel(vocabularySize: Int) -> ExtractiveSummarizerModel {
        ExtractiveSummarizerModel(
            vocabularySize: vocabularySize, embeddingSize: embeddingSize, wordHiddenSize: wordHiddenSize,
            sentenceHiddenSize: sentenceHiddenSize, absolutePositions: absolutePositions, relativePositions: relativePositions,
            embeddingDropout: embeddingDropout, sentenceDropout: sentenceDropout,
            featureCount: sentenceFeatures == nil ? 0 : SentenceFeatures.count)
    }

    /// The lexical features of a document's sentences, or nil when the model uses none.
    public func features(_ document: SummaryDocument) -> [[Float]]? {
        sentenceFeatures == nil ? nil : SentenceFeatures.compute(document)
    }

    /// Word ids of one sentence: `WordTokenizer` tokens (numbers kept as written), lower-cased, cut to the maximum.
    public func wordIDs(_ sentence: String, vocabulary: Vocabulary) -> [Int] {
        Self.words(sentence).prefix(maximumSentenceTokens).map { vocabulary.id(for: $0) }
    }

    public static func words(_ sentence: String) -> [String] {
        WordTokenizer(mapsURLs: true, mapsEmails: true, mapsNumbers: false).tokens(in: sentence).map { $0.lowercased() }
    }
}

/// What the model card reports about a summarizer's training.
public struct SummarizerTrainingRecord: Codable, Sendable, Equatable {
    public var command: String
    public var data: String
    public var split: String
    public var trainingDocuments: Int
    public var devDocuments: Int
    public var validationDocuments: Int
    /// Reference sentences found among the article's (training part), of how many.
    public var labelMatch: Double
    public var epochs: Int
    public var bestEpoch: Int
    public var seed: UInt64
    public var threads: Int
    public var trainingSeconds: Double
    /// Validation ROUGE F1 of the model and the baselines at equal length.
    public var validation: [String: RougeAverage]

    public init(
        command: String, data: String, split: String, trainingDocuments: Int, devDocuments: Int, validationDocuments: Int,
        labelMatch: Double, epochs: Int, bestEpoch: Int, seed: UInt64, threads: Int, trainingSeconds: Double,
        validation: [String: RougeAverage]
    ) {
        self.command = command
        self.data = data
        self.split = split
        self.trainingDocuments = trainingDocuments
        self.devDocuments = devDocuments
        self.validationDocuments = validationDocuments
        self.labelMatch = labelMatch
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.seed = seed
        self.threads = threads
        self.trainingSeconds = trainingSeconds
        self.validation = validation
    }
}
