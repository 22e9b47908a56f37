/// Runs a document through every configured task and builds its `Annotation`: the one path from bytes to
/// result that `stmd annotate` and the daemon share. Holds classifiers (scratch memory): one per thread.
public final class DocumentAnnotator {
    /// Task name → classifier, in the order tasks run (the first task's tokenizer counts `input.tokens`).
    public let tasks: [(name: String, classifier: TextClassifier)]

    public init(tasks: [(name: String, classifier: TextClassifier)]) {
        self.tasks = tasks
    }

    /// The annotation of a file's raw `contents` named by the raw bytes `name` (not necessarily UTF-8).
    public func annotate(contents: [UInt8], name: [UInt8], stream: String? = nil) -> Annotation {
        let clock = ContinuousClock()
        let started = clock.now
        var document = Annotation.DecodedDocument(contents: contents, name: name)
        var results: [String: Annotation.TaskResult] = [:]
        var taskMilliseconds: [String: Double] = [:]
        for (index, task) in tasks.enumerated() {
            let taskStarted = clock.now
            let result = task.classifier.classify(document.text)
            if index == 0 { document.input.tokens = result.tokenCount }
            results[task.name] = .classification(
                Annotation.Classification(
                    model: task.classifier.name, modelVersion: task.classifier.configuration.version,
                    labels: task.classifier.labels, probabilities: result.scores))
            taskMilliseconds[task.name] = Self.milliseconds(clock.now - taskStarted)
        }
        return Annotation(
            stream: stream, input: document.input, tasks: results,
            timing: Annotation.Timing(totalMilliseconds: Self.milliseconds(clock.now - started), taskMilliseconds: taskMilliseconds))
    }

    /// The annotations of several documents, each task running once over the whole batch (batched inference
    /// is several times faster per document than one at a time). Results equal one-at-a-time annotation up to
    /// float rounding; `timing` gives each document an equal share of the batch's time.
    public func annotate(batch documents: [(contents: [UInt8], name: [UInt8], stream: String?)]) -> [Annotation] {
        guard documents.count > 1 else {
            return documents.map { annotate(contents: $0.contents, name: $0.name, stream: $0.stream) }
        }
        let clock = ContinuousClock()
        let started = clock.now
        var decoded = documents.map { Annotation.DecodedDocument(contents: $0.contents, name: $0.name) }
        let texts = decoded.map(\.text)
        var results = [[String: Annotation.TaskResult]](repeating: [:], count: documents.count)
        var taskMilliseconds: [String: Double] = [:]
        for (index, task) in tasks.enumerated() {
            let taskStarted = clock.now
            let classified = task.classifier.classify(texts)
            for (row, result) in classified.enumerated() {
                if index == 0 { decoded[row].input.tokens = result.tokenCount }
                results[row][task.name] = .classification(
                    Annotation.Classification(
                        model: task.classifier.name, modelVersion: task.classifier.configuration.version,
                        labels: task.classifier.labels, probabilities: result.scores))
            }
            taskMilliseconds[task.name] = Self.milliseconds(clock.now - taskStarted) / Double(documents.count)
        }
        let share = Self.milliseconds(clock.now - started) / Double(documents.count)
        return documents.indices.map { row in
            Annotation(
                stream: documents[row].stream, input: decoded[row].input, tasks: results[row],
                timing: Annotation.Timing(totalMilliseconds: share, taskMilliseconds: taskMilliseconds))
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
    }
}
