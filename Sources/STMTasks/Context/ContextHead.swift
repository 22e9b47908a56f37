public import STMModels
import STMTensor
internal import Foundation

/// A context-aware classification head, loaded from its bundle (`config.json`, `weights.safetensors`,
/// `MODEL.md`), which sits beside the context-free model it reads (named in the config) and leaves that model's
/// files as they are.
///
/// The daemon keeps one state vector per stream: for each document it calls `probabilities(documentVector:
/// state:)` with the state left by the previous documents (decayed by idle time), then `advance` to fold the
/// document in. An empty or all-zero state gives exactly the context-free model's probabilities. The head
/// carries a copy of the base model's linear head (so it needs no second load of the base weights);
/// `checkBase(_:)` verifies that the copy matches the classifier it is used with.
///
/// Immutable after loading, so one instance can serve every thread.
public final class ContextHead: Sendable {
    public static let configurationName = "config.json"
    public static let weightsName = "weights.safetensors"
    public static let cardName = "MODEL.md"

    public let directory: String
    public let configuration: ContextHeadConfiguration
    let model: ContextHeadModel
    let parameters: ContextHeadModel.Parameters
    let base: Linear.Parameters

    /// Loads and checks every file of the bundle in `directory` (every weight key and shape must match).
    public init(directory: String) throws(ModelLoadError) {
        let configurationPath = directory + "/" + Self.configurationName
        guard let data = FileManager.default.contents(atPath: configurationPath) else {
            throw .unreadable(
                path: configurationPath,
                reason: FileManager.default.fileExists(atPath: configurationPath) ? "cannot be read" : "no such file")
        }
        let configuration: ContextHeadConfiguration
        do {
            configuration = try JSONDecoder().decode(ContextHeadConfiguration.self, from: data)
        } catch {
            throw .invalid(path: configurationPath, reason: ClassifierBundle.describe(error))
        }
        guard configuration.format == ContextHeadConfiguration.currentFormat else {
            throw .invalid(
                path: configurationPath,
                reason: "format '\(configuration.format)', expected '\(ContextHeadConfiguration.currentFormat)'")
        }
        if let problem = configuration.validationError() { throw .invalid(path: configurationPath, reason: problem) }
        let model = Self.makeModel(configuration)
        let weightsPath = directory + "/" + Self.weightsName
        let tensors: [String: Tensor]
        do {
            tensors = try SafetensorsFile.read(contentsOf: weightsPath).tensors
        } catch {
            throw .invalid(path: weightsPath, reason: String(describing: error))
        }
        var generator = LoadTemplateGenerator()
        var parameters = model.makeParameters(using: &generator)
        var base = Linear(inputSize: configuration.documentVectorSize, outputSize: configuration.labels.count)
            .makeParameters(using: &generator)
        do {
            try parameters.load(from: tensors, prefix: "context.")
            try base.load(from: tensors, prefix: "base.head.")
        } catch {
            throw .invalid(path: weightsPath, reason: error.description)
        }
        self.directory = directory
        self.configuration = configuration
        self.model = model
        self.parameters = parameters
        self.base = base
    }

    init(configuration: ContextHeadConfiguration, parameters: ContextHeadModel.Parameters, base: Linear.Parameters, directory: String = "") {
        self.directory = directory
        self.configuration = configuration
        self.model = Self.makeModel(configuration)
        self.parameters = parameters
        self.base = base
    }

    static func makeModel(_ configuration: ContextHeadConfiguration) -> ContextHeadModel {
        ContextHeadModel(
            classCount: configuration.labels.count, hiddenSize: configuration.hiddenSize,
            filter: PersistenceFilter(
                classCount: configuration.labels.count, stayProbabilities: configuration.stayProbabilities,
                temperature: configuration.temperature))
    }

    public var name: String { configuration.name }
    /// The context-free model this head reads (its bundle name).
    public var baseModelName: String { configuration.baseModel }
    public var labels: [String] { configuration.labels }
    public var documentVectorSize: Int { configuration.documentVectorSize }
    /// Length of a stream's state vector.
    public var stateSize: Int { model.stateSize }
    /// The persistence filter inside the head (also usable on its own, as a runtime option).
    public var filter: PersistenceFilter { model.filter }

    /// The base model's logits for a document vector.
    public func baseLogits(documentVector e: [Float]) -> [Float] {
        precondition(e.count == documentVectorSize, "ContextHead: document vector \(e.count), expected \(documentVectorSize)")
        return (0..<labels.count).map { c in
            var total = base.bias[flat: c]
            let row = c * e.count
            for j in e.indices { total += base.weight[flat: row + j] * e[j] }
            return total
        }
    }

    /// The state after a document: `s ← cell(s, e)` (`state` empty: zero state).
    public func advance(state: [Float], documentVector: [Float]) -> [Float] {
        model.advance(state: usable(state), baseLogits: baseLogits(documentVector: documentVector), parameters: parameters)
    }

    /// Class probabilities (in `labels` order) for a document read in the context `state` left by the
    /// previous documents; empty or zero `state`: the context-free probabilities.
    public func probabilities(documentVector: [Float], state: [Float]) -> [Float] {
        softmax(model.logits(baseLogits: baseLogits(documentVector: documentVector), state: usable(state), parameters: parameters))
    }

    /// Whether `state` can be read as this head's state: empty, or `stateSize` finite values. A state stored by
    /// another head (another size after retraining) or damaged is not: `probabilities` and `advance` read it as
    /// empty (the context-free answer) rather than fail, and a caller that persists states can check here first.
    public func isUsable(state: [Float]) -> Bool {
        state.isEmpty || (state.count == stateSize && state.allSatisfy { $0.isFinite })
    }

    private func usable(_ state: [Float]) -> [Float] { isUsable(state: state) ? state : [] }

    /// The persistence filter's probabilities alone (the runtime option without the learned part), from the
    /// filter's share of the same state: `softmax(z/T + λ)`. Empty or zero state: the temperature-scaled
    /// context-free probabilities (same ranking as the base model's).
    public func filterProbabilities(documentVector: [Float], state: [Float]) -> [Float] {
        let beliefs = isUsable(state: state) && !state.isEmpty ? state[0..<model.filter.stateSize] : []
        return model.filter.posterior(logits: baseLogits(documentVector: documentVector), state: beliefs)
    }

    /// Throws unless `classifier` is the base model this head was trained on: same labels, vector size and head.
    public func checkBase(_ classifier: TextClassifier) throws(ModelLoadError) {
        let path = directory + "/" + Self.configurationName
        guard classifier.labels == labels, classifier.documentVectorSize == documentVectorSize else {
            throw .invalid(
                path: path,
                reason: "made for '\(baseModelName)' (labels \(labels), vectors of \(documentVectorSize)); "
                    + "'\(classifier.name)' has labels \(classifier.labels), vectors of \(classifier.documentVectorSize)")
        }
        guard let stored = classifier.headParameters, stored.weight == base.weight, stored.bias == base.bias else {
            throw .invalid(path: path, reason: "the head of '\(classifier.name)' at \(classifier.directory) differs from the one this context head was trained on")
        }
    }
}
