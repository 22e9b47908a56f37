/// The summarizer's model card (`MODEL.md`), written from the training run itself.
public struct SummarizerModelCard: Sendable {
    public var dataDescription: String
    public var licence: String

    public init(dataDescription: String, licence: String) {
        self.dataDescription = dataDescription
        self.licence = licence
    }

    public func render(
        configuration: SummarizerConfiguration, record: SummarizerTrainingRecord, vocabularySize: Int, parameterCount: Int,
        weightBytes: Int, dtype: String, validationTable: String, meanSentences: Double
    ) -> String {
        let c = configuration
        return [
            "# \(c.name) (version \(c.version))",
            "",
            "Task: extractive summarization (`summarize`): the top sentences of a document by the model's score, in document order.",
            "Default length: \(Int((c.defaultRatio * 100).rounded()))% of the candidate sentences (rounded, at least 1) — the share the training references keep;"
                + " `--sentences N` or `--ratio R` override it. A first line followed by a blank line and ending without sentence punctuation is a title, never a candidate.",
            "",
            "## Model",
            "",
            "SummaRuNNer-style (Nallapati et al. 2017): word embeddings (\(c.embeddingSize)-dimensional, \(vocabularySize) words) → word-level bidirectional GRU"
                + " (hidden \(c.wordHiddenSize) per direction) per sentence, averaged over its words → sentence-level bidirectional GRU (hidden"
                + " \(c.sentenceHiddenSize) per direction) over the document → a logit per sentence from content, salience against the document vector,"
                + " novelty against the running summary (weighted by the model's own probabilities), and absolute (\(c.absolutePositions) buckets)"
                + " and relative (\(c.relativePositions) buckets) position.",
            "",
            c.sentenceFeatures == nil
                ? "- No lexical features: the sentence-level GRU reads the learned sentence vectors alone."
                : "- Lexical features (`\(c.sentenceFeatures!)`, \(SentenceFeatures.count) numbers per sentence, joined to its sentence vector"
                    + " before the sentence-level GRU): the mean in-document frequency of its content words and that value's rank, its"
                    + " TextRank score and rank, its overlap with the title, its length. They carry most of the gain over Lead-K"
                    + " (BENCHMARKS.md, \"Extractive summarization\").",
            "- Sentences cut to \(c.maximumSentenceTokens) tokens; dropout \(c.embeddingDropout) on word vectors, \(c.sentenceDropout) on sentence vectors.",
            "- \(parameterCount) parameters; weights \(weightBytes) bytes (\(dtype)).",
            "",
            "## Data",
            "",
            dataDescription,
            "",
            "Licence (as the data's README states it): \(licence)",
            "",
            "- Split: \(record.split)",
            "- Training articles: \(record.trainingDocuments), dev (early stopping): \(record.devDocuments), validation (the table below): \(record.validationDocuments)",
            "- Sentence labels: an article sentence is positive when the reference summary contains it; \(String(format2: record.labelMatch * 100))% of"
                + " the training references' sentences were found among their articles' sentences.",
            "",
            "## Training",
            "",
            "```",
            record.command,
            "```",
            "",
            "- Epochs run: \(record.epochs), best epoch: \(record.bestEpoch) (early stopping on dev ROUGE-2 at the default length)",
            "- Seed \(record.seed), \(record.threads) thread(s), \(String(format2: record.trainingSeconds)) s of training on this machine",
            "",
            "## Validation",
            "",
            "ROUGE F1 (%) as `rouge-score` computes it with `use_stemmer=True` (this project's implementation), mean over"
                + " \(record.validationDocuments) validation articles. Lead-K and TextRank keep the same number of sentences as the model on"
                + " each article (\(String(format2: meanSentences)) on average); Lead-3 keeps the first three; the oracle is the set of article sentences the reference was built from.",
            "",
            validationTable,
            "",
        ].joined(separator: "\n")
    }
}
