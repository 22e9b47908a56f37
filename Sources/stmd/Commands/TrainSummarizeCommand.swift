import ArgumentParser
import Foundation
import STMModels
import STMTasks
import STMText

/// `stmd train summarize`: an extractive summarizer from articles with reference summaries (BBC layout).
struct TrainSummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Train an extractive summarizer (word BiGRU → sentence BiGRU → content/salience/novelty/position scorer).",
        discussion: """
            Data: a folder with articles/<topic>/<n>.txt (first line: the title) and summaries/<topic>/<n>.txt (the \
            reference: article sentences run together). Within each topic, in file-name order, document i goes to \
            validation when i % 10 == 9, to dev (early stopping) when i % 10 == 4, else to training. The bundle, with \
            its model card and the validation ROUGE table, goes to --out; progress goes to stderr.
            """
    )

    @Option(help: ArgumentHelp("Articles and reference summaries (BBC News Summary layout).", valueName: "dir"))
    var data: String

    @Option(help: ArgumentHelp("Output folder for the model bundle.", valueName: "dir"))
    var out: String

    @Option(help: "Model name (default: the output folder's name).")
    var name: String?

    @Option(name: .customLong("model-version"), help: "Model version recorded in the bundle.")
    var modelVersion: String = "1"

    @Option(name: .customLong("embedding-size"), help: "Word vector size.")
    var embeddingSize: Int = 64

    @Option(help: "Word-level GRU hidden size per direction.")
    var hidden: Int = 64

    @Option(name: .customLong("sentence-hidden"), help: "Sentence-level GRU hidden size per direction.")
    var sentenceHidden: Int = 64

    @Option(name: .customLong("max-vocabulary"), help: "Vocabulary: maximum size (specials included).")
    var maxVocabulary: Int = 12_000

    @Option(name: .customLong("min-count"), help: "Vocabulary: minimum token count.")
    var minCount: Int = 2

    @Option(name: .customLong("max-sentence-tokens"), help: "Sentences are cut to this many tokens.")
    var maxSentenceTokens: Int = 60

    @Option(name: .customLong("embedding-dropout"))
    var embeddingDropout: Float = 0.1

    @Option(name: .customLong("sentence-dropout"))
    var sentenceDropout: Float = 0.2

    @Flag(inversion: .prefixedNo, help: "Join the lexical sentence features (lexical-1: word centrality, TextRank, title overlap, length) to the sentence vectors.")
    var lexicalFeatures: Bool = true

    @Option(help: "Default summary length as a share of the sentences (default: the share the training references keep).")
    var ratio: Double?

    @Option(help: "Maximum passes over the data.")
    var epochs: Int = 12

    @Option(name: .customLong("batch-size"))
    var batchSize: Int = 16

    @Option(name: .customLong("learning-rate"))
    var learningRate: Float = 2e-3

    @Option(help: "Stop after this many epochs without a better dev ROUGE-2.")
    var patience: Int = 3

    @Option(help: "Random seed: the same seed and data give the same weights.")
    var seed: UInt64 = 1

    @Option(help: "Stored weight type: bf16, f16 or f32.")
    var dtype: String = "bf16"

    @Option(name: .customLong("data-description"), help: "The data's description for the model card.")
    var dataDescription: String?

    @Option(help: "The data's licence, as its source states it, for the model card.")
    var licence: String = "not stated"

    func validate() throws {
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32 (got \(dtype))") }
        if hidden < 1 || sentenceHidden < 1 || embeddingSize < 1 { throw ValidationError("sizes must be at least 1") }
        if let ratio, !(ratio > 0 && ratio <= 1) { throw ValidationError("--ratio must be in (0, 1]") }
        if epochs < 1 || batchSize < 1 { throw ValidationError("--epochs and --batch-size must be at least 1") }
    }

    func run() throws {
        let threads = configureThreads()
        let corpus: SummaryCorpus
        do {
            corpus = try SummaryCorpus.load(directory: data)
        } catch {
            throw CommandFailure(error.description)
        }
        let (training, dev, validation) = corpus.split()
        let matched = training.reduce(0) { $0 + $1.matchedSentences }, referenceTotal = training.reduce(0) { $0 + $1.referenceSentences }
        let modelName = name ?? URL(fileURLWithPath: out).lastPathComponent
        let configuration = SummarizerConfiguration(
            name: modelName, version: modelVersion, embeddingSize: embeddingSize, wordHiddenSize: hidden,
            sentenceHiddenSize: sentenceHidden, embeddingDropout: embeddingDropout, sentenceDropout: sentenceDropout,
            maximumSentenceTokens: maxSentenceTokens, defaultRatio: ratio ?? SummarizerTraining.referenceRatio(training),
            sentenceFeatures: lexicalFeatures ? SentenceFeatures.name : nil)
        var options = SummarizerTraining.Options()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.patience = patience
        options.seed = seed
        options.minimumCount = minCount
        options.maximumVocabulary = maxVocabulary
        printError("labels: \(matched) of \(referenceTotal) reference sentences found in their articles (training part)")
        let result = try SummarizerTraining(configuration: configuration, options: options).run(training: training, dev: dev) {
            printError($0)
        }
        // The validation table is measured on the weights as the bundle stores them (rounded to --dtype).
        let storedType = SafetensorsDType.allCases.first { $0.rawValue.lowercased() == dtype }!
        var stored = result.summarizer.parameters
        try stored.load(from: SafetensorsFile.decode(stored.safetensorsBytes(dtype: storedType)).tensors)
        let summarizer = Summarizer(
            directory: out, configuration: configuration, vocabulary: result.summarizer.vocabulary, parameters: stored)
        let evaluation = SummaryEvaluation.run(summarizer, on: validation)
        var arguments = CommandLine.arguments
        arguments[0] = "stmd"
        var finished = configuration
        let record = SummarizerTrainingRecord(
            command: shellQuoted(arguments), data: data,
            split: "within each topic in file-name order, document i → validation if i % 10 == 9, dev if i % 10 == 4, else training",
            trainingDocuments: training.count, devDocuments: dev.count, validationDocuments: validation.count,
            labelMatch: Double(matched) / Double(max(referenceTotal, 1)), epochs: result.epochs, bestEpoch: result.bestEpoch,
            seed: seed, threads: threads, trainingSeconds: result.seconds, validation: evaluation.means)
        finished.training = record
        let card = SummarizerModelCard(dataDescription: dataDescription ?? "Trained on `\(data)`.", licence: licence)
        let meanSentences = Double(evaluation.selectedSentences) / Double(max(evaluation.documents, 1))
        try SummarizerBundle.write(
            configuration: finished, vocabulary: result.summarizer.vocabulary, parameters: stored,
            to: out, dtype: storedType
        ) { bytes in
            card.render(
                configuration: finished, record: record, vocabularySize: result.summarizer.vocabulary.count,
                parameterCount: result.summarizer.parameters.scalarCount, weightBytes: bytes, dtype: storedType.rawValue,
                validationTable: evaluation.table(), meanSentences: meanSentences)
        }
        printError("best epoch \(result.bestEpoch) of \(result.epochs); \(fixed(result.seconds, 1)) s of training")
        print("validation (\(evaluation.documents) articles, \(fixed(meanSentences, 2)) sentences per summary on average):")
        print(evaluation.table())
        print("model: \(out)")
    }
}
