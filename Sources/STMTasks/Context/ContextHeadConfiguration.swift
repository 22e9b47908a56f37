/// `config.json` of a context head bundle: which context-free model it sits on and its own shape.
public struct ContextHeadConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-context-head-1"

    public var format: String = ContextHeadConfiguration.currentFormat
    public var name: String
    public var version: String
    /// The context-free model whose document vectors and head the context head reads (a bundle beside this one).
    public var baseModel: String
    public var baseModelVersion: String
    public var labels: [String]
    /// Length of the base model's document vectors.
    public var documentVectorSize: Int
    /// GRU state size.
    public var hiddenSize: Int
    /// The persistence filter inside the head: its grid and its temperature (fitted on held-out data).
    public var stayProbabilities: [Float]
    public var temperature: Float
    public var training: ContextTrainingRecord?

    public init(
        name: String, version: String, baseModel: String, baseModelVersion: String, labels: [String],
        documentVectorSize: Int, hiddenSize: Int, stayProbabilities: [Float], temperature: Float
    ) {
        self.name = name
        self.version = version
        self.baseModel = baseModel
        self.baseModelVersion = baseModelVersion
        self.labels = labels
        self.documentVectorSize = documentVectorSize
        self.hiddenSize = hiddenSize
        self.stayProbabilities = stayProbabilities
        self.temperature = temperature
    }

    /// Why the configuration cannot describe a head, or nil.
    func validationError() -> String? {
        if labels.count < 2 { return "needs at least two labels" }
        if documentVectorSize < 1 { return "documentVectorSize must be positive" }
        if hiddenSize < 1 { return "hiddenSize must be positive" }
        if stayProbabilities.isEmpty || !stayProbabilities.allSatisfy({ $0 >= 0 && $0 < 1 }) {
            return "stayProbabilities must be non-empty and each in 0..<1"
        }
        if !(temperature > 0) || !temperature.isFinite { return "temperature must be positive" }
        return nil
    }
}

/// How a context head was trained, for its card and for rebuilding it.
public struct ContextTrainingRecord: Codable, Sendable, Equatable {
    public var command: String
    public var data: String
    public var subset: String
    public var documents: Int
    public var persistences: [Double]
    public var streamsPerRound: Int
    public var rounds: Int
    public var window: Int
    public var seed: UInt64
    public var trainingSeconds: Double
    /// Mean cross-entropy of the temperature-scaled base model on the training documents, before and after.
    public var temperatureLoss: [Double]
    /// Accuracy on the last round's training streams: context-free, filter, head.
    public var trainingAccuracy: [Double]
    /// Cross-fitted evidence the GRU also learned from: "model on data (n documents)".
    public var crossFitted: [String]?
    public var streamLength: Int?
    /// The trained correction's weight against the filter alone (their logits averaged); nil: 1.
    public var blend: Float?

    public init(
        command: String, data: String, subset: String, documents: Int, persistences: [Double], streamsPerRound: Int,
        rounds: Int, window: Int, seed: UInt64, trainingSeconds: Double, temperatureLoss: [Double],
        trainingAccuracy: [Double]
    ) {
        self.command = command
        self.data = data
        self.subset = subset
        self.documents = documents
        self.persistences = persistences
        self.streamsPerRound = streamsPerRound
        self.rounds = rounds
        self.window = window
        self.seed = seed
        self.trainingSeconds = trainingSeconds
        self.temperatureLoss = temperatureLoss
        self.trainingAccuracy = trainingAccuracy
    }
}
