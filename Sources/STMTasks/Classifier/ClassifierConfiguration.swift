public import STMModels

/// A text classifier's `config.json`: its identity (name, version, labels), the network's shape, how text
/// becomes features, and how it was trained. Everything needed to rebuild the model before its weights load.
public struct ClassifierConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-text-classifier-1"

    public var format: String = currentFormat
    /// The model's name (`topic-news`); the bundle's folder name is only where it happens to live.
    public var name: String
    public var version: String
    public var task: String = "classify"
    /// Class labels in class-index order.
    public var labels: [String]
    public var cell: CellKind
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var bidirectional: Bool
    public var pooling: Pooling
    /// Width of the bag-of-n-grams path (0: off).
    public var bagSize: Int
    public var embeddingDropout: Float
    public var dropout: Float
    public var features: FeatureSettings
    /// Precision of the recurrent weights at inference (`f32` is the reference path).
    public var inferencePrecision: WeightPrecision
    /// Members of an ensemble whose probabilities are averaged (nil or 1: a single model). Member `i`'s weight
    /// keys start with `members.<i>.`.
    public var ensembleSize: Int?
    /// An n-gram logistic regression averaged with the network (nil: none). Its weight keys start with `ngram.`.
    public var ngram: NgramSettings?
    /// How it was trained (absent for an untrained configuration).
    public var training: TrainingRecord?

    public init(
        name: String, version: String = "1", labels: [String], cell: CellKind = .lstm, embeddingSize: Int = 64,
        hiddenSize: Int = 64, layers: Int = 1, bidirectional: Bool = true, pooling: Pooling = .max, bagSize: Int = 32,
        embeddingDropout: Float = 0.1, dropout: Float = 0.3, features: FeatureSettings = FeatureSettings(),
        inferencePrecision: WeightPrecision = .bf16
    ) {
        self.name = name
        self.version = version
        self.labels = labels
        self.cell = cell
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.bagSize = bagSize
        self.embeddingDropout = embeddingDropout
        self.dropout = dropout
        self.features = features
        self.inferencePrecision = inferencePrecision
    }

    /// The first problem with this configuration, or nil.
    public func validationError() -> String? {
        if labels.count < 2 { return "a classifier needs at least 2 labels (got \(labels.count))" }
        if Set(labels).count != labels.count { return "labels must be distinct" }
        if embeddingSize < 1 || hiddenSize < 1 { return "embedding and hidden sizes must be positive" }
        if layers < 1 { return "layers must be at least 1" }
        if let ensembleSize, ensembleSize < 1 || ensembleSize > 16 { return "ensemble size must be in 1...16 (got \(ensembleSize))" }
        if bagSize < 0 { return "bag size must not be negative" }
        if let problem = ngram?.validationError() { return problem }
        if !(0..<1).contains(embeddingDropout) || !(0..<1).contains(dropout) { return "dropout rates must be in [0, 1)" }
        return features.validationError()
    }

    /// The weight-key prefix of ensemble member `index`.
    public static func memberPrefix(_ index: Int) -> String { "members.\(index)." }

    /// The network this configuration describes, for a featurizer's table sizes.
    public func makeModel<Cell: RecurrentCell>(
        featurizer: TextFeaturizer, _ makeCell: (_ inputSize: Int, _ hiddenSize: Int) -> Cell
    ) -> TextClassifierModel<Cell> {
        TextClassifierModel(
            tokenRows: featurizer.tokenRows, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
            classCount: labels.count, layers: layers, bidirectional: bidirectional, pooling: pooling,
            bagRows: bagSize > 0 ? featurizer.bagRows : 0, bagSize: bagSize, embeddingDropout: embeddingDropout,
            dropout: dropout, makeCell: makeCell)
    }
}

/// What a model card reports about training: reproducible inputs and measured outputs.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// The exact command line that trained the model.
    public var command: String
    public var data: String
    public var validationData: String?
    public var trainingExamples: Int
    public var validationExamples: Int
    public var epochs: Int
    public var bestEpoch: Int
    public var seed: UInt64
    public var threads: Int
    public var trainingSeconds: Double
    public var validation: MetricsSummary
    /// Share of vocabulary words found in `--embeddings`, when given.
    public var embeddingsCoverage: Double?
    public var embeddings: String?
    /// With an n-gram member: the network's and the n-gram model's own validation metrics; `validation` is the
    /// average's.
    public var componentValidation: [String: MetricsSummary]?

    public init(
        command: String, data: String, validationData: String?, trainingExamples: Int, validationExamples: Int,
        epochs: Int, bestEpoch: Int, seed: UInt64, threads: Int, trainingSeconds: Double, validation: MetricsSummary,
        embeddingsCoverage: Double? = nil, embeddings: String? = nil
    ) {
        self.command = command
        self.data = data
        self.validationData = validationData
        self.trainingExamples = trainingExamples
        self.validationExamples = validationExamples
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.seed = seed
        self.threads = threads
        self.trainingSeconds = trainingSeconds
        self.validation = validation
        self.embeddingsCoverage = embeddingsCoverage
        self.embeddings = embeddings
    }
}

/// Accuracy and macro-F1 on a named set.
public struct MetricsSummary: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var macroF1: Double
    public var examples: Int

    public init(accuracy: Double, macroF1: Double, examples: Int) {
        self.accuracy = accuracy
        self.macroF1 = macroF1
        self.examples = examples
    }
}
