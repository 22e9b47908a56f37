public import STMTasks

extension MemoryDocument {
    /// What the memory reads from an annotated document: each classification's label, the topic task's label count,
    /// the sentiment task's score and the best sentences of the first summary task (by task name). One reading for the daemon and `stmd annotate --stream`.
    public init(annotation: Annotation, name: String, time: Double, vector: [Float]?, settings: MemorySettings) {
        var labels: [String: String] = [:]
        var topicLabelCount = 0
        var sentiment: Double?
        var highlights: [MemoryHighlight] = []
        for (task, result) in annotation.tasks.sorted(by: { $0.key < $1.key }) {
            if case .summary(let summary) = result, highlights.isEmpty {
                highlights = summary.sentences.sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                    .prefix(MemoryHighlight.perDocument).map {
                        // One line each: a sentence of a hard-wrapped text keeps its line breaks in the annotation.
                        MemoryHighlight(text: $0.text.split(whereSeparator: \.isWhitespace).joined(separator: " "), score: $0.score)
                    }
            }
            guard case .classification(let classification) = result else { continue }
            labels[task] = classification.label
            if task == settings.topicTask { topicLabelCount = classification.scores.count }
            if task == settings.sentimentTask {
                let ordered = classification.scores.sorted { $0.key < $1.key }
                sentiment = MemoryDocument.sentiment(labels: ordered.map(\.key), probabilities: ordered.map(\.value))
            }
        }
        self.init(
            sha256: annotation.input.sha256, name: name, time: time, vector: vector ?? [], labels: labels,
            topicLabelCount: topicLabelCount, sentiment: sentiment, highlights: highlights)
    }
}
