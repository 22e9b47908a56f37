import STMText

/// Runs a document through every configured task and builds its `Annotation`: the one path from bytes to
/// result that `stmd annotate` and the daemon share. Holds classifiers (scratch memory): one per thread.
public final class DocumentAnnotator {
    /// Task name → classifier, in the order tasks run (the first task's tokenizer counts `input.tokens`).
    public let tasks: [(name: String, classifier: TextClassifier)]
    /// Task name → extractive summarizer with its length (nil: the model's ratio); run after the classifiers.
    public let summaries: [(name: String, summarizer: Summarizer, length: SummaryLength?)]
    /// Task name → translator with its settings; run last (the slowest, and the only one that grows with length).
    public let translations: [(name: String, translator: Translator, options: TaskOptions)]

    public init(
        tasks: [(name: String, classifier: TextClassifier)],
        summaries: [(name: String, summarizer: Summarizer, length: SummaryLength?)] = [],
        translations: [(name: String, translator: Translator, options: TaskOptions)] = []
    ) {
        self.tasks = tasks
        self.summaries = summaries
        self.translations = translations
    }

    /// Every model to the list of its kind, with its task's options (`TaskOptions.unsupported(by:)` has already
    /// refused options a model cannot take).
    public convenience init(models: [(name: String, model: TaskModel, options: TaskOptions)]) {
        var classifiers: [(name: String, classifier: TextClassifier)] = []
        var summarizers: [(name: String, summarizer: Summarizer, length: SummaryLength?)] = []
        var translators: [(name: String, translator: Translator, options: TaskOptions)] = []
        for (name, model, options) in models {
            switch model {
            case .classifier(let classifier): classifiers.append((name, classifier))
            case .summarizer(let summarizer): summarizers.append((name, summarizer, options.summaryLength))
            case .translator(let translator): translators.append((name, translator, options))
            }
        }
        self.init(tasks: classifiers, summaries: summarizers, translations: translators)
    }

    /// Models with their default settings.
    public convenience init(models: [(name: String, model: TaskModel)]) {
        self.init(models: models.map { ($0.name, $0.model, TaskOptions()) })
    }

    /// The annotation of a file's raw `contents` named by the raw bytes `name` (not necessarily UTF-8).
    public func annotate(contents: [UInt8], name: [UInt8], stream: String? = nil) -> Annotation {
        annotate(contents: contents, name: name, stream: stream, vectorTask: nil).annotation
    }

    /// The annotation together with the document vector of `vectorTask` (the features its head reads), for stream
    /// memory. The task's result is the same either way (`TextClassifier.analyze` runs the same forward pass).
    ///
    /// With a `helper`, the classification tasks are shared between the calling thread and the helper (the
    /// result is the same; only the timings differ): for a lone document on a machine with an idle core.
    public func annotate(
        contents: [UInt8], name: [UInt8], stream: String?, vectorTask: String?, helper: TaskHelperThread? = nil
    ) -> (annotation: Annotation, documentVector: [Float]?) {
        let clock = ContinuousClock()
        let started = clock.now
        var document = Annotation.DecodedDocument(contents: contents, name: name)
        var results: [String: Annotation.TaskResult] = [:]
        var taskMilliseconds: [String: Double] = [:]
        // Normalising and tokenizing is the same for every model (TextFeaturizer always uses the default
        // TokenEncoder front end): done once per document, not once per task.
        let tokens = tasks.first.map { $0.classifier.featurizer.encoder.tokens(document.text) } ?? []
        if tasks.isEmpty {
            // No classifier to count them (a summary- or translation-only stream): the default front end does.
            document.input.tokens = WordTokenizer().tokens(in: TextNormalizer().normalize(document.text)).count
        }
        // Each task's outcome lands in its own slot, written by one thread only; the array owns them afterwards.
        var outcomes = [TaskOutcome?](repeating: nil, count: tasks.count)
        outcomes.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer  // a copy of the pointer, which the closures may capture
            let run = { (index: Int) in
                let task = self.tasks[index]
                let taskStarted = clock.now
                let (result, vector) =
                    task.name == vectorTask
                    ? task.classifier.analyze(tokens: tokens) : (task.classifier.classify(tokens: tokens), nil)
                slots[index] = TaskOutcome(
                    result: result, vector: vector, milliseconds: Self.milliseconds(clock.now - taskStarted))
            }
            if let helper, tasks.count > 1 {
                // The helper takes every second task, the caller the others; both are done before `slots` ends.
                let shared = UncheckedSendable(value: run)
                helper.run { for index in stride(from: 1, to: self.tasks.count, by: 2) { shared.value(index) } }
                for index in stride(from: 0, to: tasks.count, by: 2) { run(index) }
                helper.wait()
            } else {
                for index in tasks.indices { run(index) }
            }
        }
        var documentVector: [Float]?
        for (index, task) in tasks.enumerated() {
            guard let outcome = outcomes[index] else { continue }
            let result = outcome.result
            if index == 0 { document.input.tokens = result.tokenCount }
            if let vector = outcome.vector { documentVector = vector }
            results[task.name] = .classification(
                Annotation.Classification(
                    model: task.classifier.name, modelVersion: task.classifier.configuration.version,
                    labels: task.classifier.labels, probabilities: result.scores))
            taskMilliseconds[task.name] = outcome.milliseconds
        }
        for task in summaries {
            let taskStarted = clock.now
            let parsed = SummaryDocument(text: document.text)
            results[task.name] = .summary(
                Annotation.Summary(
                    model: task.summarizer.name, modelVersion: task.summarizer.configuration.version,
                    candidates: parsed.sentences.count, sentences: task.summarizer.summarize(parsed, length: task.length)))
            taskMilliseconds[task.name] = Self.milliseconds(clock.now - taskStarted)
        }
        for task in translations {
            let taskStarted = clock.now
            let translator = task.translator
            let translated = translator.translate(
                document: document.text, beamWidth: task.options.beamWidth,
                maximumSentences: task.options.maximumSentences ?? TaskOptions.defaultMaximumSentences)
            results[task.name] = .translation(
                Annotation.Translation(
                    model: translator.name, modelVersion: translator.configuration.version,
                    sourceLanguage: translator.configuration.sourceLanguage,
                    targetLanguage: translator.configuration.targetLanguage, sentences: translated.sentences,
                    truncated: translated.truncated, text: translated.text))
            taskMilliseconds[task.name] = Self.milliseconds(clock.now - taskStarted)
        }
        let annotation = Annotation(
            stream: stream, input: document.input, tasks: results,
            timing: Annotation.Timing(totalMilliseconds: Self.milliseconds(clock.now - started), taskMilliseconds: taskMilliseconds))
        return (annotation, documentVector)
    }

    /// One classification task's result, its document vector when asked for, and its time.
    private struct TaskOutcome {
        let result: Classification
        let vector: [Float]?
        let milliseconds: Double
    }

    /// A value handed to the helper thread, which the caller does not touch while the helper runs.
    private struct UncheckedSendable<Value>: @unchecked Sendable {
        let value: Value
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
    }
}
