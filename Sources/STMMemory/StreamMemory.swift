public import STMTasks

/// One stream's short-term memory: its state `s`, its window and its drift detectors, advanced one document at a
/// time. A plain value: the daemon keeps one per stream (in RAM or in the database) and applies documents to it
/// in the stream's order; `stmd annotate --stream` does the same.
public struct StreamMemory: Sendable, Equatable {
    public var settings: MemorySettings
    public var state: StreamState
    public var window: RollingWindow
    public var sentimentDetector: ChangeDetector
    public var topicDetector: ChangeDetector

    public init(settings: MemorySettings, state: StreamState = StreamState(), entries: [MemoryEntry] = []) {
        self.settings = settings
        self.state = state
        window = RollingWindow(capacity: settings.windowCapacity, maximumAge: settings.maximumAge, entries: entries)
        sentimentDetector = ChangeDetector(threshold: settings.driftThreshold, warmup: settings.driftWarmup)
        topicDetector = ChangeDetector(threshold: settings.driftThreshold, warmup: settings.driftWarmup, sides: .upOnly)
    }

    /// The stored detectors replace the fresh ones (reloading a stream from the database).
    public init(
        settings: MemorySettings, state: StreamState, entries: [MemoryEntry], sentimentDetector: ChangeDetector,
        topicDetector: ChangeDetector
    ) {
        self.init(settings: settings, state: state, entries: entries)
        self.sentimentDetector = sentimentDetector
        self.topicDetector = topicDetector
    }

    /// The result of one document: its memory section, the entry it became and the context head's probabilities.
    public struct Step: Sendable {
        public var section: Annotation.MemorySection
        public var entry: MemoryEntry
        /// The context-aware probabilities (nil without a context head).
        public var contextProbabilities: [Float]?
    }

    /// Applies one document: decay `s` to its time, ask the context head (state of the previous documents), advance
    /// `s`, compare with the window, update the detectors, and add it to the window.
    ///
    /// - Parameters:
    ///   - contextHead: the stream's head, with the labels its probabilities are for (nil, or a document without a
    ///     vector the head can read: `s` stays as it is).
    public mutating func apply(
        _ document: MemoryDocument, contextHead: (model: any StreamContextModel, labels: [String])? = nil
    ) -> Step {
        let decay = state.decay(to: document.time, decayTime: settings.decayTime)
        let latest = state.latestTime ?? document.time
        window.prune(latestTime: latest)

        var context: Annotation.MemorySection.Context?
        var contextProbabilities: [Float]?
        if let contextHead, document.vector.count == contextHead.model.documentVectorSize {
            let probabilities = contextHead.model.probabilities(documentVector: document.vector, state: state.vector)
            state.vector = contextHead.model.advance(state: state.vector, documentVector: document.vector)
            contextProbabilities = probabilities
            if probabilities.count == contextHead.labels.count, !probabilities.isEmpty {
                var best = 0
                for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
                context = .init(
                    task: settings.topicTask, label: contextHead.labels[best], score: Double(probabilities[best]),
                    scores: Dictionary(uniqueKeysWithValues: zip(contextHead.labels, probabilities.map(Double.init))))
            }
        }

        let id = String(document.sha256.prefix(16))
        let vector = VectorMath.unitLength(document.vector)
        let matches = window.mostSimilar(to: vector, k: max(settings.relatedCount, 1))
        let best = matches.first
        let exact = window.entries.last { $0.id == id }
        let nearDuplicate = exact != nil || (best.map { $0.similarity >= settings.nearDuplicateSimilarity } ?? false)
        let related = matches.prefix(settings.relatedCount).map {
            Annotation.MemorySection.Related(
                id: $0.entry.id, name: $0.entry.name, similarity: Double($0.similarity), sequence: $0.entry.sequence)
        }

        // Topic mix: how surprising this label is under the window's smoothed label frequencies.
        var topicSignal: Annotation.MemorySection.Drift.Signal?
        if let label = document.labels[settings.topicTask] {
            let labelCount = max(document.topicLabelCount, 1)
            let frequency =
                Double(window.count(task: settings.topicTask, label: label) + 1) / Double(window.count + labelCount)
            topicSignal = Self.signal(topicDetector.update(1 - frequency))
        }
        var sentimentSignal: Annotation.MemorySection.Drift.Signal?
        if let sentiment = document.sentiment {
            sentimentSignal = Self.signal(sentimentDetector.update(sentiment))
        }

        let windowBefore = window.count
        state.documentCount += 1
        let entry = MemoryEntry(
            id: id, sequence: state.documentCount, name: document.name, time: document.time, vector: vector,
            labels: document.labels, sentiment: document.sentiment, highlights: document.highlights)
        window.append(entry, latestTime: latest)

        let section = Annotation.MemorySection(
            id: id, sequence: state.documentCount, window: windowBefore, related: Array(related),
            novelty: 1 - Double(best?.similarity ?? 0), nearDuplicate: nearDuplicate,
            duplicateOf: nearDuplicate ? (exact?.id ?? best?.entry.id) : nil,
            labelDistribution: window.labelDistribution(), sentimentMean: window.sentimentMean(),
            drift: .init(
                alert: (topicSignal?.alert ?? false) || (sentimentSignal?.alert ?? false), sentiment: sentimentSignal,
                topic: topicSignal),
            state: .init(documents: state.documentCount, size: state.vector.count, norm: state.norm, decay: decay),
            context: context)
        return Step(section: section, entry: entry, contextProbabilities: contextProbabilities)
    }

    private static func signal(_ reading: ChangeDetector.Reading) -> Annotation.MemorySection.Drift.Signal {
        .init(alert: reading.alert != nil, direction: reading.alert?.rawValue, level: reading.level)
    }
}
