extension Annotation {
    /// An extractive summarizer's answer: the chosen sentences, in document order, with their scores and positions.
    public struct Summary: Sendable, Equatable {
        public static let kind = "summarize"

        public var model: String
        public var modelVersion: String
        /// Candidate sentences in the document (the title excluded).
        public var candidates: Int
        public var sentences: [ScoredSentence]

        public init(model: String, modelVersion: String, candidates: Int, sentences: [ScoredSentence]) {
            self.model = model
            self.modelVersion = modelVersion
            self.candidates = candidates
            self.sentences = sentences
        }
    }
}

extension Annotation.Summary: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, model
        case modelVersion = "model_version"
        case candidates, sentences
    }

    private enum SentenceKeys: String, CodingKey { case index, score, text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        modelVersion = try container.decode(String.self, forKey: .modelVersion)
        candidates = try container.decode(Int.self, forKey: .candidates)
        var list = try container.nestedUnkeyedContainer(forKey: .sentences)
        var sentences: [ScoredSentence] = []
        while !list.isAtEnd {
            let sentence = try list.nestedContainer(keyedBy: SentenceKeys.self)
            sentences.append(
                ScoredSentence(
                    index: try sentence.decode(Int.self, forKey: .index), text: try sentence.decode(String.self, forKey: .text),
                    score: try sentence.decode(Double.self, forKey: .score)))
        }
        self.sentences = sentences
    }

    /// Scores rounded to 6 decimals, like a classification's.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(model, forKey: .model)
        try container.encode(modelVersion, forKey: .modelVersion)
        try container.encode(candidates, forKey: .candidates)
        var list = container.nestedUnkeyedContainer(forKey: .sentences)
        for sentence in sentences {
            var item = list.nestedContainer(keyedBy: SentenceKeys.self)
            try item.encode(sentence.index, forKey: .index)
            try item.encode(Annotation.rounded(sentence.score, places: 6), forKey: .score)
            try item.encode(sentence.text, forKey: .text)
        }
    }
}
