extension Annotation {
    /// One task's result under `tasks.<name>`: an object whose `kind` says which other keys it has.
    ///
    /// Version 1 defines `classify`. Later kinds (a summary, a translation) are new cases with their own `kind`,
    /// which keeps version 1: a reader that meets a kind it does not know skips it, as `unrecognized` does here.
    public enum TaskResult: Sendable, Equatable {
        case classification(Classification)
        /// An extractive summary (`Annotation+Summary.swift`).
        case summary(Summary)
        /// A translation (`Annotation+Translation.swift`).
        case translation(Translation)
        /// A kind this build does not know, read from a newer writer. Only the kind is kept; encoding it writes
        /// `{"kind": …}` alone.
        case unrecognized(kind: String)

        public var kind: String {
            switch self {
            case .classification: return Classification.kind
            case .summary: return Summary.kind
            case .translation: return Translation.kind
            case .unrecognized(let kind): return kind
            }
        }

        public var model: String? {
            switch self {
            case .classification(let result): return result.model
            case .summary(let result): return result.model
            case .translation(let result): return result.model
            case .unrecognized: return nil
            }
        }

        public var modelVersion: String? {
            switch self {
            case .classification(let result): return result.modelVersion
            case .summary(let result): return result.modelVersion
            case .translation(let result): return result.modelVersion
            case .unrecognized: return nil
            }
        }
    }

    /// A classifier's answer: the chosen label, its probability, and the probability of every label.
    public struct Classification: Sendable, Equatable {
        public static let kind = "classify"

        public var model: String
        public var modelVersion: String
        public var label: String
        /// Probability of `label`; written rounded to 6 decimals, like `scores`.
        public var score: Float
        /// Probability per label, summing to about 1.
        public var scores: [String: Float]

        public init(model: String, modelVersion: String, label: String, score: Float, scores: [String: Float]) {
            self.model = model
            self.modelVersion = modelVersion
            self.label = label
            self.score = score
            self.scores = scores
        }

        /// The most probable label (the first of equals, in `labels` order) with its probability.
        /// - Precondition: one probability per label, at least one label, labels distinct.
        public init(model: String, modelVersion: String, labels: [String], probabilities: [Float]) {
            precondition(
                !labels.isEmpty && labels.count == probabilities.count,
                "Classification: \(labels.count) labels for \(probabilities.count) probabilities")
            var best = 0
            for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
            self.init(
                model: model, modelVersion: modelVersion, label: labels[best], score: probabilities[best],
                scores: Dictionary(uniqueKeysWithValues: zip(labels, probabilities)))
        }
    }
}

extension Annotation.TaskResult: Codable {
    private enum KindKey: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(String.self, forKey: .kind)
        switch kind {
        case Annotation.Classification.kind: self = .classification(try Annotation.Classification(from: decoder))
        case Annotation.Summary.kind: self = .summary(try Annotation.Summary(from: decoder))
        case Annotation.Translation.kind: self = .translation(try Annotation.Translation(from: decoder))
        default: self = .unrecognized(kind: kind)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .classification(let result):
            try result.encode(to: encoder)
        case .summary(let result):
            try result.encode(to: encoder)
        case .translation(let result):
            try result.encode(to: encoder)
        case .unrecognized(let kind):
            var container = encoder.container(keyedBy: KindKey.self)
            try container.encode(kind, forKey: .kind)
        }
    }
}

extension Annotation.Classification: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, model
        case modelVersion = "model_version"
        case label, score, scores
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        modelVersion = try container.decode(String.self, forKey: .modelVersion)
        label = try container.decode(String.self, forKey: .label)
        score = try container.decode(Float.self, forKey: .score)
        scores = try container.decode([String: Float].self, forKey: .scores)
    }

    /// Scores go out as doubles rounded to 6 decimals: stable and short (`0.91`, not `0.9100000262260437`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(model, forKey: .model)
        try container.encode(modelVersion, forKey: .modelVersion)
        try container.encode(label, forKey: .label)
        try container.encode(Annotation.rounded(Double(score), places: 6), forKey: .score)
        try container.encode(scores.mapValues { Annotation.rounded(Double($0), places: 6) }, forKey: .scores)
    }
}
