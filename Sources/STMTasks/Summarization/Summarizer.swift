#if canImport(Glibc)
import Glibc
#endif
public import STMModels
public import STMText
import STMTensor

/// A loaded extractive summarizer bundle. Holds no scratch state: safe to share across threads.
public struct Summarizer: Sendable {
    public let directory: String
    public let configuration: SummarizerConfiguration
    public let vocabulary: Vocabulary
    let model: ExtractiveSummarizerModel
    public let parameters: ExtractiveSummarizerModel.Parameters

    /// Loads and checks every file of the bundle in `directory` (every weight key and shape must match).
    public init(directory: String) throws(ModelLoadError) {
        let configuration = try SummarizerBundle.readConfiguration(from: directory)
        let vocabulary = try ClassifierBundle.readVocabulary(from: directory)
        let model = configuration.makeModel(vocabularySize: vocabulary.count)
        var generator = LoadTemplateGenerator()
        var parameters = model.makeParameters(using: &generator)
        let weightsPath = directory + "/" + SummarizerBundle.weightsName
        do {
            try parameters.load(from: SafetensorsFile.read(contentsOf: weightsPath).tensors)
        } catch {
            throw .invalid(path: weightsPath, reason: String(describing: error))
        }
        self.init(directory: directory, configuration: configuration, vocabulary: vocabulary, parameters: parameters)
    }

    /// A summarizer over weights in memory (a training run's result).
    public init(
        directory: String, configuration: SummarizerConfiguration, vocabulary: Vocabulary,
        parameters: ExtractiveSummarizerModel.Parameters
    ) {
        self.directory = directory
        self.configuration = configuration
        self.vocabulary = vocabulary
        self.model = configuration.makeModel(vocabularySize: vocabulary.count)
        self.parameters = parameters
    }

    public var name: String { configuration.name }

    /// The probability of each candidate sentence belonging to the summary.
    public func scores(_ document: SummaryDocument) -> [Double] {
        scores(batch: [document])[0]
    }

    /// Scores for several documents at once (one forward pass).
    public func scores(batch documents: [SummaryDocument]) -> [[Double]] {
        let nonEmpty = documents.indices.filter { !documents[$0].sentences.isEmpty }
        var results = [[Double]](repeating: [], count: documents.count)
        guard !nonEmpty.isEmpty else { return results }
        let ids = nonEmpty.map { documents[$0].sentences.map { configuration.wordIDs($0, vocabulary: vocabulary) } }
        let features = configuration.sentenceFeatures == nil ? nil : nonEmpty.map { configuration.features(documents[$0])! }
        var generator = SplitMix64(seed: 0)
        let logits = model.forward(ids, features: features, parameters: parameters, using: &generator).logits
        for (row, index) in nonEmpty.enumerated() {
            results[index] = logits[row].map { 1 / (1 + exp(-Double($0))) }
        }
        return results
    }

    /// The summary: the top sentences by score, in document order (default length: the configuration's ratio).
    public func summarize(_ document: SummaryDocument, length: SummaryLength? = nil) -> [ScoredSentence] {
        let probabilities = scores(document)
        let count = (length ?? .ratio(configuration.defaultRatio)).count(for: document.sentences.count)
        return SummaryLength.top(probabilities, count: count).map {
            ScoredSentence(index: $0, text: document.sentences[$0], score: probabilities[$0])
        }
    }
}
