public import STMModels

/// A translator's `config.json`: identity, languages, network shape and decoding defaults.
public struct TranslatorConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-attention-translator-1"

    public var format: String = currentFormat
    public var name: String
    public var version: String
    public var task: String = "translate"
    public var sourceLanguage: String
    public var targetLanguage: String
    public var embeddingSize: Int
    public var encoderHiddenSize: Int
    public var decoderHiddenSize: Int
    public var dropout: Float
    /// Default beam width (1: greedy) and GNMT length-penalty exponent.
    public var beamWidth: Int
    public var lengthPenalty: Float
    /// Sentences are cut to this many subword tokens before encoding.
    public var maximumSourceTokens: Int

    public init(
        name: String, version: String = "1", sourceLanguage: String, targetLanguage: String, embeddingSize: Int = 256,
        encoderHiddenSize: Int = 256, decoderHiddenSize: Int = 256, dropout: Float = 0.2, beamWidth: Int = 5,
        lengthPenalty: Float = 0.6, maximumSourceTokens: Int = 100
    ) {
        self.name = name
        self.version = version
        self.sourceLanguage = sourceLanguage
        self.targetLanguage = targetLanguage
        self.embeddingSize = embeddingSize
        self.encoderHiddenSize = encoderHiddenSize
        self.decoderHiddenSize = decoderHiddenSize
        self.dropout = dropout
        self.beamWidth = beamWidth
        self.lengthPenalty = lengthPenalty
        self.maximumSourceTokens = maximumSourceTokens
    }

    public func validationError() -> String? {
        if embeddingSize < 1 || encoderHiddenSize < 1 || decoderHiddenSize < 1 { return "sizes must be positive" }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1)" }
        if beamWidth < 1 { return "beamWidth must be at least 1" }
        if maximumSourceTokens < 1 { return "maximumSourceTokens must be at least 1" }
        return nil
    }

    public func makeModel(vocabularySize: Int) -> AttentionTranslatorModel {
        AttentionTranslatorModel(
            vocabularySize: vocabularySize, embeddingSize: embeddingSize, encoderHiddenSize: encoderHiddenSize,
            decoderHiddenSize: decoderHiddenSize, dropout: dropout)
    }
}
