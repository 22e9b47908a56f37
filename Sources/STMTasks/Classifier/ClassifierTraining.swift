public import STMModels
public import STMText
public import STMTensor
internal import Foundation

/// Trains a `TextClassifierModel` from labelled text: vocabulary and features from the training split, AdamW
/// with warm-up and linear decay, early stopping on validation accuracy (the best epoch's weights are kept),
/// and a checkpoint after every epoch so `resume` continues a stopped run exactly.
///
/// Each batch is split into two fixed halves whose gradients are computed in parallel on the kernel pool and
/// summed in a fixed order: with the same seed and data, the weights are the same whatever the thread count.
public struct ClassifierTraining: Sendable {
    public var configuration: ClassifierConfiguration
    public var options: TrainingOptions
    public var embeddings: WordVectors?
    public var embeddingsPath: String?

    public init(configuration: ClassifierConfiguration, options: TrainingOptions, embeddings: WordVectors? = nil, embeddingsPath: String? = nil) {
        self.configuration = configuration
        self.options = options
        self.embeddings = embeddings
        self.embeddingsPath = embeddingsPath
    }

    /// Trains on `training`, choosing on `validation` (nil: a stratified `validationFraction` of `training`).
    public func run(
        training: LabeledDataset, validation: LabeledDataset?, report: @escaping (TrainingEvent) -> Void
    ) throws(TrainingError) -> TrainedClassifier {
        if let problem = options.validationError() { throw .invalidSetting(problem) }
        if let embeddings, embeddings.dimension != configuration.embeddingSize {
            throw .invalidSetting(
                "--embeddings has \(embeddings.dimension)-dimensional vectors but the model's embedding size is "
                    + "\(configuration.embeddingSize): pass --embedding-size \(embeddings.dimension)")
        }
        let labels = training.labels
        guard labels.count >= 2 else {
            throw .invalidData("the training data has \(labels.count) label(s) (\(labels.joined(separator: ", "))): a classifier needs at least 2")
        }
        let (trainExamples, validExamples) = try Self.split(training: training, validation: validation, options: options)
        var configuration = self.configuration
        configuration.labels = labels
        if let problem = configuration.validationError() { throw .invalidSetting(problem) }

        let vocabulary = TextFeaturizer.buildVocabulary(from: trainExamples.map(\.text), settings: configuration.features)
        let featurizer = TextFeaturizer(settings: configuration.features, vocabulary: vocabulary)
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let trainSet = EncodedSet(trainExamples, featurizer: featurizer, labelIndex: labelIndex)
        let validSet = EncodedSet(validExamples, featurizer: featurizer, labelIndex: labelIndex)
        let members = configuration.ensembleSize ?? 1
        var tensors: [String: Tensor] = [:]
        var summed = [[Float]](repeating: [Float](repeating: 0, count: labels.count), count: validSet.count)
        var epochs = 0, bestEpoch = 0, seconds = 0.0
        var coverage: Double?
        for member in 0..<members {
            var memberOptions = options
            memberOptions.seed = options.seed &+ UInt64(member)
            if members > 1 {
                memberOptions.checkpointDirectory = options.checkpointDirectory.map { $0 + "/member-\(member)" }
                report(.memberStarted(index: member, count: members))
            }
            let run = TrainingRun(
                configuration: configuration, options: memberOptions, featurizer: featurizer, trainSet: trainSet,
                validSet: validSet, embeddings: embeddings, embeddingsPath: embeddingsPath, report: report, member: member)
            let result: MemberResult
            do {
                result = try configuration.cell.accept(run)
            } catch let error as TrainingError {
                throw error
            } catch {
                throw .checkpoint(String(describing: error))
            }
            let prefix = members > 1 ? ClassifierConfiguration.memberPrefix(member) : ""
            for (key, tensor) in result.tensors { tensors[prefix + key] = tensor }
            for (row, probabilities) in result.validationProbabilities.enumerated() {
                for c in probabilities.indices { summed[row][c] += probabilities[c] }
            }
            epochs += result.epochs
            bestEpoch = result.bestEpoch
            seconds += result.seconds
            coverage = result.embeddingsCoverage
        }
        let networkProbabilities = summed.map { row in row.map { $0 / Float(members) } }
        var combined = networkProbabilities
        var components: [String: ClassificationMetrics] = [:]
        if let settings = configuration.ngram {
            // The n-gram member: fitted on the same training documents, with fixed settings (the validation set
            // is only scored), then averaged with the network by its configured weight.
            report(.ngramStarted)
            let clock = ContinuousClock.now
            let tokenize = { (text: String) in Array(featurizer.encoder.tokens(text).prefix(configuration.features.maximumTokens)) }
            let (ngram, loss) = NgramTraining.train(
                documents: trainExamples.map { tokenize($0.text) }, labels: trainSet.labels, classes: labels.count,
                settings: settings, seed: options.seed)
            let counter = NgramCounter(settings: settings)
            let ngramProbabilities = validExamples.map { ngram.probabilities(tokens: tokenize($0.text), counter: counter) }
            for (key, tensor) in ngram.tensors { tensors[key] = tensor }
            for row in combined.indices {
                for c in combined[row].indices {
                    combined[row][c] = (1 - settings.weight) * networkProbabilities[row][c] + settings.weight * ngramProbabilities[row][c]
                }
            }
            components["network"] = Self.metrics(networkProbabilities, labels: labels, truths: validSet.labels)
            components["ngram"] = Self.metrics(ngramProbabilities, labels: labels, truths: validSet.labels)
            seconds += TrainingRun.seconds(ContinuousClock.now - clock)
            report(.ngramFinished(trainingLoss: loss, validation: components["ngram"]!.summary))
        }
        return TrainedClassifier(
            configuration: configuration, vocabulary: vocabulary, tensors: tensors,
            validation: Self.metrics(combined, labels: labels, truths: validSet.labels),
            componentValidation: components, trainingExamples: trainSet.count, epochs: epochs, bestEpoch: bestEpoch,
            seconds: seconds, embeddingsCoverage: coverage)
    }

    /// Metrics of the most probable class per row (ties go to the lower class index).
    static func metrics(_ probabilities: [[Float]], labels: [String], truths: [Int]) -> ClassificationMetrics {
        let predictions = probabilities.map { scores in
            scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) } ?? 0
        }
        return ClassificationMetrics(labels: labels, truths: truths, predictions: predictions)
    }

    /// The training and validation examples: the given validation set, or a stratified share of training
    /// chosen by the seed (each label with at least two examples gives at least one to validation).
    static func split(
        training: LabeledDataset, validation: LabeledDataset?, options: TrainingOptions
    ) throws(TrainingError) -> (train: [LabeledExample], valid: [LabeledExample]) {
        if let validation {
            let unknown = Set(validation.labels).subtracting(training.labels)
            if !unknown.isEmpty {
                let where_ = validation.examples.first { unknown.contains($0.label) }!.source
                throw .invalidData("\(where_): validation label '\(unknown.sorted()[0])' does not occur in the training data")
            }
            return (training.examples, validation.examples)
        }
        var byLabel: [String: [Int]] = [:]
        for (index, example) in training.examples.enumerated() { byLabel[example.label, default: []].append(index) }
        var validIndices = Set<Int>()
        for (labelNumber, label) in training.labels.enumerated() {
            var indices = byLabel[label] ?? []
            guard indices.count >= 2 else { continue }
            var generator = SplitMix64(seed: options.seed &+ 0x5EED_0000 &+ UInt64(labelNumber))
            for i in stride(from: indices.count - 1, to: 0, by: -1) {
                indices.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
            let take = max(1, Int((Double(indices.count) * options.validationFraction).rounded()))
            validIndices.formUnion(indices.prefix(min(take, indices.count - 1)))
        }
        var train: [LabeledExample] = [], valid: [LabeledExample] = []
        for (index, example) in training.examples.enumerated() {
            if validIndices.contains(index) { valid.append(example) } else { train.append(example) }
        }
        return (train, valid)
    }
}

/// A finished training run: everything a model bundle holds.
public struct TrainedClassifier: Sendable {
    public var configuration: ClassifierConfiguration
    public var vocabulary: Vocabulary
    /// The best epoch's weights by key.
    public var tensors: [String: Tensor]
    public var validation: ClassificationMetrics
    /// With an n-gram member: the network's and the n-gram model's own validation metrics (`network`, `ngram`).
    public var componentValidation: [String: ClassificationMetrics] = [:]
    public var trainingExamples: Int
    public var epochs: Int
    public var bestEpoch: Int
    public var seconds: Double
    public var embeddingsCoverage: Double?
}

/// Why training could not run.
public enum TrainingError: Error, CustomStringConvertible {
    case invalidSetting(String)
    case invalidData(String)
    case checkpoint(String)

    public var description: String {
        switch self {
        case .invalidSetting(let message): message
        case .invalidData(let message): message
        case .checkpoint(let message): "checkpoint: \(message)"
        }
    }
}

/// A split's features and class indices, computed once.
struct EncodedSet: Sendable {
    var features: [TextFeatures]
    var labels: [Int]
    var tokenCounts: [Int]

    init(_ examples: [LabeledExample], featurizer: TextFeaturizer, labelIndex: [String: Int]) {
        features = []
        labels = []
        tokenCounts = []
        for example in examples {
            let (features, _) = featurizer.features(example.text)
            self.features.append(features)
            labels.append(labelIndex[example.label]!)
            tokenCounts.append(max(features.tokens.count, 1))
        }
    }

    var count: Int { labels.count }
}
