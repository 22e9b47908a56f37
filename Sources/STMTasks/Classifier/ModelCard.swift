public import STMModels
import STMText

/// The model card (`MODEL.md`): what the model does, on which data under which licence, how exactly it was
/// trained, and what it measured — written from the training run itself, never by hand.
public struct ModelCard: Sendable {
    /// The data's description and licence, as the data's own README states them.
    public var dataDescription: String
    public var licence: String

    public init(dataDescription: String, licence: String) {
        self.dataDescription = dataDescription
        self.licence = licence
    }

    func render(
        configuration: ClassifierConfiguration, trained: TrainedClassifier, record: TrainingRecord, weightBytes: Int,
        dtype: SafetensorsDType
    ) -> String {
        let metrics = trained.validation
        let direction = configuration.bidirectional ? "bidirectional " : ""
        let features = configuration.features
        var lines: [String] = [
            "# \(configuration.name) (version \(configuration.version))",
            "",
            "Task: text classification (`\(configuration.task)`), labels: \(configuration.labels.map { "`\($0)`" }.joined(separator: ", ")).",
            "",
            "## Model",
            "",
            "- Token vectors: \(configuration.embeddingSize)-dimensional, the mean of a word row and its character "
                + "\(features.subwordMinimumLength)–\(features.subwordMaximumLength)-gram bucket rows "
                + "(\(trained.vocabulary.count) words, \(features.subwordBuckets) buckets).",
            "- Encoder: \(configuration.layers)-layer \(direction)\(configuration.cell.rawValue.uppercased()), "
                + "hidden size \(configuration.hiddenSize), \(configuration.pooling.rawValue) pooling.",
            configuration.bagSize > 0
                ? "- Bag path: \(configuration.bagSize)-dimensional mean of word and hashed bigram vectors (\(features.bigramBuckets) bigram buckets), joined to the pooled encoder output."
                : "- Bag path: off.",
            "- Head: linear, softmax over \(configuration.labels.count) classes. Dropout \(configuration.embeddingDropout) on token vectors, \(configuration.dropout) before the head.",
            (configuration.ensembleSize ?? 1) > 1
                ? "- Ensemble: \(configuration.ensembleSize!) such networks trained with consecutive seeds; their probabilities are averaged."
                : "- A single network (no ensemble).",
            configuration.ngram.map { ngram in
                "- N-gram member: a logistic regression over hashed TF-IDF features (word unigrams and bigrams in "
                    + "\(ngram.wordBuckets) buckets, character \(ngram.characterMinimumLength)–\(ngram.characterMaximumLength)-grams "
                    + "inside words in \(ngram.characterBuckets) buckets; C = \(ngram.inverseRegularization), \(ngram.epochs) epochs), "
                    + "its probabilities averaged with the network's at weight \(ngram.weight)."
            } ?? "- No n-gram member.",
            "- Documents are cut to their first \(features.maximumTokens) tokens.",
            "- Weights: \(weightBytes) bytes (\(dtype.rawValue)), recurrent weights served in \(configuration.inferencePrecision.rawValue).",
            "",
            "## Data",
            "",
            dataDescription,
            "",
            "Licence (as the data's README states it): \(licence)",
            "",
            "- Training examples: \(record.trainingExamples) (`\(record.data)`)",
            "- Validation examples: \(record.validationExamples) (\(record.validationData.map { "`\($0)`" } ?? "a stratified share of the training data"))",
        ]
        if let embeddings = record.embeddings, let coverage = record.embeddingsCoverage {
            lines.append("- Word vectors: `\(embeddings)`, covering \(Self.percent(coverage)) of the vocabulary")
        }
        lines += [
            "",
            "## Training",
            "",
            "```",
            record.command,
            "```",
            "",
            "- Epochs run: \(record.epochs), best epoch: \(record.bestEpoch) (early stopping on validation accuracy)",
            "- Seed \(record.seed), \(record.threads) thread(s), \(String(format2: record.trainingSeconds)) s of training on this machine",
            "",
            "## Validation",
            "",
            "Accuracy \(Self.percent(metrics.accuracy)), macro-F1 \(Self.percent(metrics.macroF1)) on \(metrics.total) examples.",
            "",
        ]
        for (name, summary) in (record.componentValidation ?? [:]).sorted(by: { $0.key < $1.key }) {
            let member = name == "ngram" ? "The n-gram member" : "The network"
            lines.append("- \(member) alone: accuracy \(Self.percent(summary.accuracy)), macro-F1 \(Self.percent(summary.macroF1)).")
        }
        if record.componentValidation != nil { lines.append("") }
        lines += ["```", metrics.report(), "```", ""]
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String { ClassificationMetrics.percent(value) }
}

extension String {
    /// A number with two decimals, without Foundation's formatting.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
