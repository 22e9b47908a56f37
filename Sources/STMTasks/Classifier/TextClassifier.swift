public import STMModels
public import STMText
import STMTensor

/// A loaded model bundle, ready to classify text. Holds scratch memory: use one instance per thread.
public final class TextClassifier {
    public let directory: String
    public let configuration: ClassifierConfiguration
    public let featurizer: TextFeaturizer
    private let backend: any ProbabilityModel
    /// The bundle's n-gram member, averaged with the network (see `NgramSettings`).
    private let ngram: NgramClassifier?
    private let ngramCounter: NgramCounter?

    /// Loads and checks every file of the bundle in `directory` (every weight key and shape must match).
    public init(directory: String) throws(ModelLoadError) {
        let configuration = try ClassifierBundle.readConfiguration(from: directory)
        let vocabulary = try ClassifierBundle.readVocabulary(from: directory)
        let featurizer = TextFeaturizer(settings: configuration.features, vocabulary: vocabulary)
        let weightsPath = directory + "/" + ClassifierBundle.weightsName
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile.read(contentsOf: weightsPath)
        } catch {
            throw .invalid(path: weightsPath, reason: String(describing: error))
        }
        do {
            backend = try configuration.cell.accept(
                LoadVisitor(configuration: configuration, featurizer: featurizer, tensors: file.tensors, path: weightsPath))
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw .invalid(path: weightsPath, reason: String(describing: error))
        }
        if let settings = configuration.ngram {
            do {
                ngram = try NgramClassifier(settings: settings, classes: configuration.labels.count, tensors: file.tensors)
            } catch {
                throw .invalid(path: weightsPath, reason: error.description)
            }
        } else {
            ngram = nil
        }
        ngramCounter = configuration.ngram.map { NgramCounter(settings: $0) }
        self.directory = directory
        self.configuration = configuration
        self.featurizer = featurizer
    }

    private init(sharing other: TextClassifier) {
        directory = other.directory
        configuration = other.configuration
        featurizer = other.featurizer
        backend = other.backend.sibling()
        ngram = other.ngram
        ngramCounter = other.ngram.map { NgramCounter(settings: $0.settings) }
    }

    /// Another classifier for another thread, sharing this one's weights (copy-on-write arrays: no copy is
    /// made) with scratch memory of its own: a worker pool holds each model once, not once per worker.
    public func sibling() -> TextClassifier { TextClassifier(sharing: self) }

    public var name: String { configuration.name }
    public var labels: [String] { configuration.labels }

    /// One result per text, in order. Texts are run in batches of similar length.
    public func classify(_ texts: [String]) -> [Classification] {
        let tokens = texts.map { featurizer.encoder.tokens($0) }
        return classify(encoded: tokens.map { featurizer.features(tokens: $0) }, tokens: tokens)
    }

    /// One result for a document already tokenized by `featurizer.encoder.tokens`.
    public func classify(tokens: [String]) -> Classification {
        classify(encoded: [featurizer.features(tokens: tokens)], tokens: [tokens])[0]
    }

    /// The result for a tokenized document together with its document vector: the features the model's head
    /// reads (for an ensemble, its members' vectors joined end to end). Stream memory compares documents by
    /// these vectors and context-aware heads read them.
    public func analyze(tokens: [String]) -> (classification: Classification, documentVector: [Float]) {
        let encoded = featurizer.features(tokens: tokens)
        var (probabilities, vectors) = backend.evaluate([encoded.features])
        mixNgram(into: &probabilities, row: 0, tokens: tokens)
        return (makeClassification(probabilities: probabilities, row: 0, tokenCount: encoded.tokenCount), vectors.rows(0..<1).scalars)
    }

    /// Document vectors for many texts, in order (batched like `classify`).
    public func documentVectors(_ texts: [String]) -> [[Float]] {
        let encoded = texts.map { featurizer.features($0) }
        var results = [[Float]](repeating: [], count: encoded.count)
        let order = encoded.indices.sorted { encoded[$0].features.tokens.count < encoded[$1].features.tokens.count }
        for start in stride(from: 0, to: order.count, by: 32) {
            let batch = Array(order[start..<min(start + 32, order.count)])
            let vectors = backend.evaluate(batch.map { encoded[$0].features }).documentVectors
            for (row, index) in batch.enumerated() { results[index] = vectors.rows(row..<(row + 1)).scalars }
        }
        return results
    }

    /// Length of the vectors `analyze` returns.
    public var documentVectorSize: Int { backend.documentVectorSize }

    /// The linear head mapping a document vector to class logits (nil for an ensemble or a bundle with an
    /// n-gram member, whose probabilities are an average rather than one softmax).
    public var headParameters: Linear.Parameters? { ngram == nil ? backend.headWeights : nil }

    private func classify(encoded: [(features: TextFeatures, tokenCount: Int)], tokens: [[String]]) -> [Classification] {
        var results = [Classification?](repeating: nil, count: encoded.count)
        let order = encoded.indices.sorted { encoded[$0].features.tokens.count < encoded[$1].features.tokens.count }
        for start in stride(from: 0, to: order.count, by: 32) {
            let batch = Array(order[start..<min(start + 32, order.count)])
            var probabilities = backend.probabilities(batch.map { encoded[$0].features })
            for (row, index) in batch.enumerated() {
                mixNgram(into: &probabilities, row: row, tokens: tokens[index])
                results[index] = makeClassification(
                    probabilities: probabilities, row: row, tokenCount: encoded[index].tokenCount)
            }
        }
        return results.map { $0! }
    }

    /// Averages row `row` of the network's probabilities with the n-gram member's for the same tokens (cut to
    /// the model's maximum, as in training); nothing without an n-gram member.
    private func mixNgram(into probabilities: inout Tensor, row: Int, tokens: [String]) {
        guard let ngram, let ngramCounter else { return }
        let weight = ngram.settings.weight
        let scores = ngram.probabilities(tokens: tokens.prefix(configuration.features.maximumTokens), counter: ngramCounter)
        for c in scores.indices {
            probabilities[row, c] = (1 - weight) * probabilities[row, c] + weight * scores[c]
        }
    }

    private func makeClassification(probabilities: Tensor, row: Int, tokenCount: Int) -> Classification {
        let scores = (0..<labels.count).map { probabilities[row, $0] }
        var best = 0
        for c in scores.indices where scores[c] > scores[best] { best = c }
        return Classification(label: labels[best], classIndex: best, score: scores[best], scores: scores, tokenCount: tokenCount)
    }

    public func classify(_ text: String) -> Classification { classify([text])[0] }
}

/// One document's result.
public struct Classification: Sendable, Equatable {
    public var label: String
    public var classIndex: Int
    /// The winning class's probability.
    public var score: Float
    /// Every class's probability, in the model's label order.
    public var scores: [Float]
    /// Tokens in the document (before cutting to the model's maximum).
    public var tokenCount: Int
}

/// The cell-typed inference object behind a `TextClassifier`.
protocol ProbabilityModel: AnyObject {
    func probabilities(_ documents: [TextFeatures]) -> Tensor
    /// Probabilities and the document vectors behind them.
    func evaluate(_ documents: [TextFeatures]) -> (probabilities: Tensor, documentVectors: Tensor)
    var documentVectorSize: Int { get }
    var headWeights: Linear.Parameters? { get }
    /// The same model with its own scratch memory.
    func sibling() -> any ProbabilityModel
}

extension TextClassifierInference: ProbabilityModel {
    func sibling() -> any ProbabilityModel { makeSibling() }
    var documentVectorSize: Int { model.head.inputSize }
    var headWeights: Linear.Parameters? { headParameters }
}

/// Averages its members' probabilities (the members differ only in their training seed).
final class EnsembleModel: ProbabilityModel {
    let members: [any ProbabilityModel]

    init(members: [any ProbabilityModel]) { self.members = members }

    func sibling() -> any ProbabilityModel { EnsembleModel(members: members.map { $0.sibling() }) }

    func probabilities(_ documents: [TextFeatures]) -> Tensor {
        var total = members[0].probabilities(documents)
        for member in members.dropFirst() { total.add(member.probabilities(documents)) }
        total.scale(by: 1 / Float(members.count))
        return total
    }

    func evaluate(_ documents: [TextFeatures]) -> (probabilities: Tensor, documentVectors: Tensor) {
        var (total, vectors) = members[0].evaluate(documents)
        for member in members.dropFirst() {
            let (probabilities, memberVectors) = member.evaluate(documents)
            total.add(probabilities)
            vectors = Tensor.concatenatedColumns(vectors, memberVectors)
        }
        total.scale(by: 1 / Float(members.count))
        return (total, vectors)
    }

    var documentVectorSize: Int { members.reduce(0) { $0 + $1.documentVectorSize } }
    var headWeights: Linear.Parameters? { nil }
}

struct LoadVisitor: CellVisitor {
    let configuration: ClassifierConfiguration
    let featurizer: TextFeaturizer
    let tensors: [String: Tensor]
    let path: String

    func visit<Cell: RecurrentCell>(_ makeCell: @escaping @Sendable (Int, Int) -> Cell) throws -> any ProbabilityModel {
        let model = configuration.makeModel(featurizer: featurizer, makeCell)
        var generator = LoadTemplateGenerator()
        let template = model.makeParameters(using: &generator)
        let size = configuration.ensembleSize ?? 1
        var members: [TextClassifierInference<Cell>] = []
        for member in 0..<size {
            var parameters = template
            do {
                try parameters.load(from: tensors, prefix: size > 1 ? ClassifierConfiguration.memberPrefix(member) : "")
            } catch {
                throw ModelLoadError.invalid(path: path, reason: error.description)
            }
            members.append(TextClassifierInference(model: model, parameters: parameters, precision: configuration.inferencePrecision))
        }
        return members.count == 1 ? members[0] : EnsembleModel(members: members)
    }
}
