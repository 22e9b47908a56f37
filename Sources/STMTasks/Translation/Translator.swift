public import STMModels
public import STMText
import STMTensor

/// A loaded translator bundle. Holds no scratch state: safe to share across threads.
public struct Translator: Sendable {
    public let directory: String
    public let configuration: TranslatorConfiguration
    public let subwords: BytePairEncoding
    let model: AttentionTranslatorModel
    public let parameters: AttentionTranslatorModel.Parameters
    /// The decoding in use (`fastest` unless the initialiser was told otherwise).
    public let decoding: TranslatorDecoding
    /// The output layer prepared for `decoding` (nil for the reference).
    let outputLayer: TranslatorOutputLayer?
    /// The decoder's GRU and `combine` in bfloat16 (bf16 decoding only).
    let decoderLayers: TranslatorDecoderLayers?
    private let splitter = SentenceSplitter()

    /// Loads and checks every file of the bundle in `directory` (every weight key and shape must match).
    public init(directory: String, decoding: TranslatorDecoding = .fastest) throws(ModelLoadError) {
        let configuration = try TranslatorBundle.readConfiguration(from: directory)
        let subwords = try TranslatorBundle.readSubwords(from: directory)
        let model = configuration.makeModel(vocabularySize: subwords.count)
        var generator = LoadTemplateGenerator()
        var parameters = model.makeParameters(using: &generator)
        let weightsPath = directory + "/" + ClassifierBundle.weightsName
        do {
            try parameters.load(from: SafetensorsFile.read(contentsOf: weightsPath).tensors)
        } catch {
            throw .invalid(path: weightsPath, reason: String(describing: error))
        }
        self.init(
            directory: directory, configuration: configuration, subwords: subwords, parameters: parameters, decoding: decoding)
    }

    /// A translator over weights in memory (a training run's result).
    public init(
        directory: String, configuration: TranslatorConfiguration, subwords: BytePairEncoding,
        parameters: AttentionTranslatorModel.Parameters, decoding: TranslatorDecoding = .fastest
    ) {
        self.directory = directory
        self.configuration = configuration
        self.subwords = subwords
        self.model = configuration.makeModel(vocabularySize: subwords.count)
        self.parameters = parameters
        let layer = decoding.outputPrecision.map {
            TranslatorOutputLayer(table: parameters.embedding.weight, bias: parameters.outputBias, precision: $0)
        }
        self.outputLayer = layer
        decoderLayers = layer?.precision == .bfloat16 ? TranslatorDecoderLayers(model: model, parameters: parameters) : nil
        self.decoding = switch layer?.precision {
        case nil: .reference
        case .float32: .float32
        case .bfloat16: .bfloat16
        }
    }

    public var name: String { configuration.name }

    /// One line: empty (or blank) gives empty; otherwise each sentence is translated on its own and the
    /// translations are joined with single spaces. The result never contains a line break.
    public func translate(line: String, beamWidth: Int? = nil, lengthPenalty: Float? = nil) -> String {
        let sentences = splitter.sentences(in: line).map(\.text).filter { !$0.allSatisfy(\.isWhitespace) }
        return sentences.map { translate(sentence: $0, beamWidth: beamWidth, lengthPenalty: lengthPenalty) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// One sentence, cut to `maximumSourceTokens` subword tokens.
    public func translate(sentence: String, beamWidth: Int? = nil, lengthPenalty: Float? = nil) -> String {
        let ids = Array(subwords.encode(sentence).prefix(configuration.maximumSourceTokens))
        guard !ids.isEmpty else { return "" }
        let output = model.translate(
            ids, startID: BytePairEncoding.startID, endID: BytePairEncoding.endID, parameters: parameters,
            beamWidth: beamWidth ?? configuration.beamWidth, lengthPenalty: lengthPenalty ?? configuration.lengthPenalty,
            output: outputLayer, decoder: decoderLayers)
        return subwords.decode(output).filter { $0 != "\n" && $0 != "\r" }
    }
}
