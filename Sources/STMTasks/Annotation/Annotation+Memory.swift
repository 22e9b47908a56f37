extension Annotation {
    /// The `memory` section: the document read in the context of its stream's recent documents (issue 6).
    /// Every value is a function of the stream's earlier documents (their bytes, names and event times), this
    /// document and the models — never of when or how often the daemon was restarted.
    public struct MemorySection: Sendable, Equatable, Codable {
        /// The document's id in the window (first 16 hex digits of its SHA-256).
        public var id: String
        /// Its position in the stream: documents counted before it plus one.
        public var sequence: Int
        /// Window entries it was compared with (before it was added).
        public var window: Int
        /// Most similar recent documents, best first.
        public var related: [Related]
        /// 1 − the highest similarity to a window entry; 1 for an empty window.
        public var novelty: Double
        /// The highest similarity reached `near_duplicate_similarity`, or the same bytes are in the window.
        public var nearDuplicate: Bool
        /// The id of the window entry it duplicates, when `near_duplicate`.
        public var duplicateOf: String?
        /// Per task, the fraction of the window (this document included) with each label.
        public var labelDistribution: [String: [String: Double]]
        /// Mean sentiment in [−1, 1] over the window, this document included; nil without a sentiment task.
        public var sentimentMean: Double?
        public var drift: Drift
        public var state: StateSummary
        /// The context-aware answer of the stream's context head, when one is configured.
        public var context: Context?

        public init(
            id: String, sequence: Int, window: Int, related: [Related], novelty: Double, nearDuplicate: Bool,
            duplicateOf: String?, labelDistribution: [String: [String: Double]], sentimentMean: Double?, drift: Drift,
            state: StateSummary, context: Context?
        ) {
            self.id = id
            self.sequence = sequence
            self.window = window
            self.related = related
            self.novelty = novelty
            self.nearDuplicate = nearDuplicate
            self.duplicateOf = duplicateOf
            self.labelDistribution = labelDistribution
            self.sentimentMean = sentimentMean
            self.drift = drift
            self.state = state
            self.context = context
        }

        private enum CodingKeys: String, CodingKey {
            case id, sequence, window, related, novelty
            case nearDuplicate = "near_duplicate"
            case duplicateOf = "duplicate_of"
            case labelDistribution = "label_distribution"
            case sentimentMean = "sentiment_mean"
            case drift, state, context
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(sequence, forKey: .sequence)
            try container.encode(window, forKey: .window)
            try container.encode(related, forKey: .related)
            try container.encode(Annotation.rounded(novelty, places: 6), forKey: .novelty)
            try container.encode(nearDuplicate, forKey: .nearDuplicate)
            try container.encodeIfPresent(duplicateOf, forKey: .duplicateOf)
            try container.encode(
                labelDistribution.mapValues { $0.mapValues { Annotation.rounded($0, places: 6) } }, forKey: .labelDistribution)
            try container.encodeIfPresent(sentimentMean.map { Annotation.rounded($0, places: 6) }, forKey: .sentimentMean)
            try container.encode(drift, forKey: .drift)
            try container.encode(state, forKey: .state)
            try container.encodeIfPresent(context, forKey: .context)
        }
    }
}

extension Annotation.MemorySection {
    /// A recent document of the same stream, with its cosine similarity to this one.
    public struct Related: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
        public var similarity: Double
        /// Its position in the stream.
        public var sequence: Int

        public init(id: String, name: String, similarity: Double, sequence: Int) {
            self.id = id
            self.name = name
            self.similarity = similarity
            self.sequence = sequence
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(Annotation.rounded(similarity, places: 6), forKey: .similarity)
            try container.encode(sequence, forKey: .sequence)
        }
    }

    /// The change detectors after this document. `alert` is set when either signal raised one on this document.
    public struct Drift: Sendable, Equatable, Codable {
        public var alert: Bool
        public var sentiment: Signal?
        public var topic: Signal?

        public init(alert: Bool, sentiment: Signal?, topic: Signal?) {
            self.alert = alert
            self.sentiment = sentiment
            self.topic = topic
        }

        /// One detector: `level` is its CUSUM statistic over its threshold (an alert when it passes 1);
        /// `direction` is `up` or `down` when this document raised the alert.
        public struct Signal: Sendable, Equatable, Codable {
            public var alert: Bool
            public var direction: String?
            public var level: Double

            public init(alert: Bool, direction: String?, level: Double) {
                self.alert = alert
                self.direction = direction
                self.level = level
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(alert, forKey: .alert)
                try container.encodeIfPresent(direction, forKey: .direction)
                try container.encode(Annotation.rounded(level, places: 6), forKey: .level)
            }
        }
    }

    /// The stream state `s` as this document left it.
    public struct StateSummary: Sendable, Equatable, Codable {
        /// Documents counted in the stream, this one included.
        public var documents: Int
        /// Length of `s` (0 without a context head).
        public var size: Int
        /// ‖s‖ after this document.
        public var norm: Double
        /// The decay `exp(−Δt/τ)` applied before this document (1 for the first, or an out-of-order mtime).
        public var decay: Double

        public init(documents: Int, size: Int, norm: Double, decay: Double) {
            self.documents = documents
            self.size = size
            self.norm = norm
            self.decay = decay
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(documents, forKey: .documents)
            try container.encode(size, forKey: .size)
            try container.encode(Annotation.rounded(norm, places: 6), forKey: .norm)
            try container.encode(Annotation.rounded(decay, places: 6), forKey: .decay)
        }
    }

    /// The context head's answer for `task`, read from `[e; s]`.
    public struct Context: Sendable, Equatable, Codable {
        public var task: String
        public var label: String
        public var score: Double
        public var scores: [String: Double]

        public init(task: String, label: String, score: Double, scores: [String: Double]) {
            self.task = task
            self.label = label
            self.score = score
            self.scores = scores
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(task, forKey: .task)
            try container.encode(label, forKey: .label)
            try container.encode(Annotation.rounded(score, places: 6), forKey: .score)
            try container.encode(scores.mapValues { Annotation.rounded($0, places: 6) }, forKey: .scores)
        }
    }
}
