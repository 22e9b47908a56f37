/// `config.json` of a log model bundle: the model's shape, the detector's defaults, the closed vocabulary, and
/// how the model was trained.
public struct LogModelConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-log-model-1"

    /// What the model's template ids are: keys given as numbers (DeepLog's HDFS sessions), or Drain template
    /// ids from the bundle's `templates.json`.
    public enum Source: String, Codable, Sendable { case keys, templates }

    public struct TrainingRecord: Codable, Sendable, Equatable {
        public var command: String
        public var data: [String]
        public var sequences: Int
        public var lines: Int
        public var windows: Int
        public var options: NextKeyTrainingOptions
        public var finalLoss: Float
        public var seconds: Double
        public var threads: Int

        public init(
            command: String, data: [String], sequences: Int, lines: Int, windows: Int, options: NextKeyTrainingOptions,
            finalLoss: Float, seconds: Double, threads: Int
        ) {
            self.command = command
            self.data = data
            self.sequences = sequences
            self.lines = lines
            self.windows = windows
            self.options = options
            self.finalLoss = finalLoss
            self.seconds = seconds
            self.threads = threads
        }
    }

    public var format: String = currentFormat
    public var name: String
    public var source: Source
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var detector: LogDetectorSettings
    public var vocabulary: TemplateVocabulary
    /// For `templates` bundles: leading white-space fields dropped from each line before parsing (log headers).
    public var skipFields: Int
    public var training: TrainingRecord?

    public init(
        name: String, source: Source, embeddingSize: Int, hiddenSize: Int, detector: LogDetectorSettings,
        vocabulary: TemplateVocabulary, skipFields: Int = 0, training: TrainingRecord? = nil
    ) {
        self.name = name
        self.source = source
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.detector = detector
        self.vocabulary = vocabulary
        self.skipFields = skipFields
        self.training = training
    }

    public func makeModel() -> NextKeyModel {
        NextKeyModel(classCount: vocabulary.capacity, embeddingSize: embeddingSize, hiddenSize: hiddenSize)
    }

    /// Why this configuration cannot be served, or nil.
    public var validationError: String? {
        if format != Self.currentFormat { return "format '\(format)', expected '\(Self.currentFormat)'" }
        if embeddingSize < 1 || hiddenSize < 1 { return "sizes \(embeddingSize)/\(hiddenSize) must be positive" }
        if vocabulary.capacity < 2 { return "vocabulary capacity \(vocabulary.capacity) below 2" }
        if skipFields < 0 { return "skipFields \(skipFields) below 0" }
        return detector.validationError
    }
}
