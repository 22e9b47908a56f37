extension Annotation {
    /// A translator's answer: the document in the target language (line structure kept), with the languages and
    /// how much of the document it covers.
    public struct Translation: Sendable, Equatable {
        public static let kind = "translate"

        public var model: String
        public var modelVersion: String
        public var sourceLanguage: String
        public var targetLanguage: String
        /// Sentences translated; `truncated` when the document had more than the task's `max_sentences`.
        public var sentences: Int
        public var truncated: Bool
        public var text: String

        public init(
            model: String, modelVersion: String, sourceLanguage: String, targetLanguage: String, sentences: Int,
            truncated: Bool, text: String
        ) {
            self.model = model
            self.modelVersion = modelVersion
            self.sourceLanguage = sourceLanguage
            self.targetLanguage = targetLanguage
            self.sentences = sentences
            self.truncated = truncated
            self.text = text
        }
    }
}

extension Annotation.Translation: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, model
        case modelVersion = "model_version"
        case sourceLanguage = "source_language"
        case targetLanguage = "target_language"
        case sentences, truncated
        case text = "translation"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        modelVersion = try container.decode(String.self, forKey: .modelVersion)
        sourceLanguage = try container.decode(String.self, forKey: .sourceLanguage)
        targetLanguage = try container.decode(String.self, forKey: .targetLanguage)
        sentences = try container.decode(Int.self, forKey: .sentences)
        truncated = try container.decode(Bool.self, forKey: .truncated)
        text = try container.decode(String.self, forKey: .text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(model, forKey: .model)
        try container.encode(modelVersion, forKey: .modelVersion)
        try container.encode(sourceLanguage, forKey: .sourceLanguage)
        try container.encode(targetLanguage, forKey: .targetLanguage)
        try container.encode(sentences, forKey: .sentences)
        try container.encode(truncated, forKey: .truncated)
        try container.encode(text, forKey: .text)
    }
}
