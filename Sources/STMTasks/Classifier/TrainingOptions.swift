/// How `ClassifierTraining` runs: optimisation, schedule, stopping and where it checkpoints.
public struct TrainingOptions: Sendable {
    /// Upper bound on passes over the data; early stopping usually ends sooner.
    public var epochs: Int = 20
    public var batchSize: Int = 32
    /// Peak learning rate (AdamW), reached after a linear warm-up and decayed linearly to
    /// `finalLearningRateFraction` of it by the last planned epoch.
    public var learningRate: Float = 3e-3
    public var warmupSteps: Int = 100
    public var finalLearningRateFraction: Float = 0.05
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 0
    public var maxGradientNorm: Float = 5
    /// Stop after this many epochs without a better validation score.
    public var patience: Int = 3
    public var seed: UInt64 = 1
    /// Held-out share of the training data when no validation set is given (stratified, seed-determined).
    public var validationFraction: Double = 0.1
    /// Where the per-epoch checkpoint is kept (nil: none); with `resume`, training continues from it.
    public var checkpointDirectory: String?
    public var resume: Bool = false

    public init() {}

    /// The first problem with these options, or nil.
    public func validationError() -> String? {
        if epochs < 1 { return "--epochs must be at least 1 (got \(epochs))" }
        if batchSize < 1 { return "--batch-size must be at least 1 (got \(batchSize))" }
        if !(learningRate > 0) { return "--learning-rate must be positive (got \(learningRate))" }
        if patience < 1 { return "--patience must be at least 1 (got \(patience))" }
        if !(validationFraction > 0 && validationFraction < 1) {
            return "--validation-fraction must be between 0 and 1 (got \(validationFraction))"
        }
        return nil
    }
}

/// What the training loop reports as it goes (on stderr, by the caller).
public enum TrainingEvent: Sendable {
    /// Set-up done: sizes of everything.
    case started(trainingExamples: Int, validationExamples: Int, vocabulary: Int, parameters: Int, batchesPerEpoch: Int)
    /// Embedding rows initialised from pretrained vectors.
    case embeddings(found: Int, vocabulary: Int, path: String)
    case resumed(epoch: Int)
    /// An ensemble member's training begins (members train one after another, seeds `seed + index`).
    case memberStarted(index: Int, count: Int)
    case step(TrainingStep)
    case epochFinished(epoch: Int, trainingLoss: Double, validation: MetricsSummary, validationLoss: Double, improved: Bool, seconds: Double)
    case stoppedEarly(epoch: Int, bestEpoch: Int)
    /// The n-gram member's fit begins (after the network's), and ends with its loss and validation metrics.
    case ngramStarted
    case ngramFinished(trainingLoss: Double, validation: MetricsSummary)
}

/// One step's progress numbers.
public struct TrainingStep: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Mean training loss so far in this epoch.
    public var loss: Double
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
    /// Remaining time if every planned epoch runs (early stopping can only shorten it).
    public var remainingSeconds: Double
}
