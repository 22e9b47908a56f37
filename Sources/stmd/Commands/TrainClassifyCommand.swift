import ArgumentParser
import Foundation
import STMModels
import STMTasks
import STMText

/// `stmd train classify`: a text classifier from a folder per label, a TSV or fastText-format file.
struct TrainClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a text classifier (Embedding → recurrent encoder → pooling (+ n-gram bag) → linear).",
        discussion: """
            Data: a folder with one subfolder of text files per label, a TSV file (text<TAB>label), or a fastText \
            file (__label__x text). Results (the bundle) go to --out; progress goes to stderr.
            """
    )

    @Option(help: ArgumentHelp("Training data: folder per label, TSV or fastText file.", valueName: "path"))
    var data: String

    @Option(help: ArgumentHelp("Validation data (same formats); without it, --validation-fraction of --data is held out.", valueName: "path"))
    var valid: String?

    @Option(help: ArgumentHelp("Output folder for the model bundle.", valueName: "dir"))
    var out: String

    @Option(help: "Model name (default: the output folder's name).")
    var name: String?

    @Option(name: .customLong("model-version"), help: "Model version recorded in the bundle.")
    var modelVersion: String = "1"

    @Option(help: "Recurrent cell: lstm, gru, elman (σ), elman-tanh.")
    var cell: CellKind = .lstm

    @Option(help: "Hidden size per direction.")
    var hidden: Int = 64

    @Option(name: .customLong("embedding-size"), help: "Token vector size.")
    var embeddingSize: Int = 64

    @Option(help: "Stacked recurrent layers.")
    var layers: Int = 1

    @Flag(inversion: .prefixedNo, help: "Run the encoder in both directions.")
    var bidirectional: Bool = true

    @Option(help: "Pooling of the encoder outputs: max, mean, last.")
    var pooling: Pooling = .max

    @Option(name: .customLong("bag-size"), help: "Width of the n-gram bag path joined to the encoder (0: off).")
    var bagSize: Int = 32

    @Option(name: .customLong("subword-buckets"), help: "Character n-gram buckets (0: unknown words share <unk>).")
    var subwordBuckets: Int = 10_000

    @Flag(name: .customLong("subwords-for-known-words"), inversion: .prefixedNo, help: "Known words also average their n-gram rows.")
    var subwordsForKnownWords: Bool = true

    @Option(name: .customLong("bigram-buckets"), help: "Hashed word-bigram buckets in the bag path (0: unigrams only).")
    var bigramBuckets: Int = 20_000

    @Option(name: .customLong("max-tokens"), help: "Documents are cut to this many tokens.")
    var maxTokens: Int = 400

    @Option(name: .customLong("min-count"), help: "Vocabulary: minimum token count.")
    var minCount: Int = 2

    @Option(name: .customLong("max-vocabulary"), help: "Vocabulary: maximum size (specials included).")
    var maxVocabulary: Int = 20_000

    @Option(help: "Dropout before the head (and between layers).")
    var dropout: Float = 0.3

    @Option(name: .customLong("embedding-dropout"), help: "Dropout on token vectors.")
    var embeddingDropout: Float = 0.1

    @Option(help: "Train this many models (seeds seed, seed+1, …) and average their probabilities.")
    var ensemble: Int = 1

    @Option(name: .customLong("ngram-buckets"), help: ArgumentHelp(
        "Add an n-gram member: a logistic regression over hashed TF-IDF word and character n-grams, averaged with the network; this many buckets each for word and for character n-grams (0: none).",
        valueName: "n"))
    var ngramBuckets: Int = 0

    @Option(name: .customLong("ngram-weight"), help: "The n-gram member's share of the averaged probabilities.")
    var ngramWeight: Float = 0.5

    @Option(name: .customLong("ngram-epochs"), help: "Passes of the n-gram member's optimiser over the data.")
    var ngramEpochs: Int = NgramSettings().epochs

    @Option(help: "Maximum passes over the data (early stopping usually ends sooner).")
    var epochs: Int = 20

    @Option(name: .customLong("batch-size"))
    var batchSize: Int = 32

    @Option(name: .customLong("learning-rate"), help: "Peak learning rate (AdamW, warm-up then linear decay).")
    var learningRate: Float = 3e-3

    @Option(name: .customLong("weight-decay"))
    var weightDecay: Float = 0

    @Option(help: "Stop after this many epochs without a better validation accuracy.")
    var patience: Int = 3

    @Option(help: "Random seed: the same seed and data give the same weights.")
    var seed: UInt64 = 1

    @Option(name: .customLong("validation-fraction"), help: "Held-out share of --data when --valid is not given.")
    var validationFraction: Double = 0.1

    @Option(help: ArgumentHelp("Pretrained word vectors (word2vec text or binary, or GloVe text) for the word rows.", valueName: "file"))
    var embeddings: String?

    @Flag(help: "Continue from the checkpoint in --out (same data and settings).")
    var resume: Bool = false

    @Option(help: "Stored weight type: bf16, f16 or f32.")
    var dtype: String = "bf16"

    @Option(help: "Recurrent weights at inference: bf16 or f32.")
    var precision: WeightPrecision = .bf16

    @Option(name: .customLong("data-description"), help: "The data's description for the model card.")
    var dataDescription: String?

    @Option(help: "The data's licence, as its source states it, for the model card.")
    var licence: String = "not stated"

    func validate() throws {
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32 (got \(dtype))") }
        if hidden < 1 { throw ValidationError("--hidden must be at least 1") }
        if embeddingSize < 1 { throw ValidationError("--embedding-size must be at least 1") }
        if layers < 1 { throw ValidationError("--layers must be at least 1") }
        if !(1...16).contains(ensemble) { throw ValidationError("--ensemble must be in 1...16") }
        if ngramBuckets < 0 { throw ValidationError("--ngram-buckets must not be negative (got \(ngramBuckets))") }
        if ngramEpochs < 1 { throw ValidationError("--ngram-epochs must be at least 1 (got \(ngramEpochs))") }
        if !(ngramWeight > 0 && ngramWeight < 1) { throw ValidationError("--ngram-weight must be between 0 and 1 (got \(ngramWeight))") }
    }

    func run() throws {
        let threads = configureThreads()
        let training = try loadDataset(data)
        let validation = try valid.map { try loadDataset($0) }
        let vectors: WordVectors?
        if let embeddings {
            do {
                vectors = try WordVectors.load(path: embeddings)
            } catch {
                throw CommandFailure("--embeddings: \(error)")
            }
            if let warning = vectors?.duplicateWarning { printError("warning: \(warning)") }
        } else {
            vectors = nil
        }

        let modelName = name ?? URL(fileURLWithPath: out).lastPathComponent
        var configuration = ClassifierConfiguration(
            name: modelName, version: modelVersion, labels: training.labels, cell: cell, embeddingSize: embeddingSize,
            hiddenSize: hidden, layers: layers, bidirectional: bidirectional, pooling: pooling, bagSize: bagSize,
            embeddingDropout: embeddingDropout, dropout: dropout,
            features: FeatureSettings(
                subwordBuckets: subwordBuckets, subwordsForKnownWords: subwordsForKnownWords, bigramBuckets: bigramBuckets,
                maximumTokens: maxTokens, minimumCount: minCount, maximumVocabularySize: maxVocabulary),
            inferencePrecision: precision)
        configuration.training = nil
        configuration.ensembleSize = ensemble > 1 ? ensemble : nil
        configuration.ngram = ngramBuckets > 0
            ? NgramSettings(wordBuckets: ngramBuckets, characterBuckets: ngramBuckets, weight: ngramWeight, epochs: ngramEpochs)
            : nil
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.weightDecay = weightDecay
        options.patience = patience
        options.seed = seed
        options.validationFraction = validationFraction
        options.checkpointDirectory = out + "/checkpoint"
        options.resume = resume

        let reporter = ProgressReporter()
        let trained: TrainedClassifier
        do {
            trained = try ClassifierTraining(configuration: configuration, options: options, embeddings: vectors, embeddingsPath: embeddings)
                .run(training: training, validation: validation) { reporter.handle($0) }
        } catch {
            throw CommandFailure(error.description)
        }
        var arguments = CommandLine.arguments
        arguments[0] = "stmd"
        var record = TrainingRecord(
            command: shellQuoted(arguments), data: data, validationData: valid, trainingExamples: trained.trainingExamples,
            validationExamples: trained.validation.total, epochs: trained.epochs, bestEpoch: trained.bestEpoch, seed: seed,
            threads: threads, trainingSeconds: trained.seconds, validation: trained.validation.summary,
            embeddingsCoverage: trained.embeddingsCoverage, embeddings: embeddings)
        if !trained.componentValidation.isEmpty { record.componentValidation = trained.componentValidation.mapValues(\.summary) }
        let card = ModelCard(
            dataDescription: dataDescription ?? "Trained on `\(data)`.", licence: licence)
        try ClassifierBundle.write(trained, record: record, to: out, dtype: SafetensorsDType.allCases.first { $0.rawValue.lowercased() == dtype }!, card: card)
        try? FileManager.default.removeItem(atPath: out + "/checkpoint")
        printError("best epoch \(trained.bestEpoch) of \(trained.epochs); \(fixed(trained.seconds, 1)) s of training")
        for (component, metrics) in trained.componentValidation.sorted(by: { $0.key < $1.key }) {
            printError("\(component) alone: accuracy \(percent(metrics.accuracy)), macro-F1 \(percent(metrics.macroF1))")
        }
        print(trained.validation.report())
        print("model: \(out)")
    }
}

/// Loads a dataset, printing its warnings to stderr; errors name the file and line. For evaluation data the
/// warning about a label with a single example (which only matters for a training/validation split) is left out.
func loadDataset(_ path: String, forTraining: Bool = true) throws -> LabeledDataset {
    let dataset: LabeledDataset
    do {
        dataset = try LabeledDataset.load(path: path)
    } catch {
        throw CommandFailure(error.description)
    }
    let warnings = dataset.warnings.filter { forTraining || $0.kind != .singleExampleLabel }
    for warning in warnings.prefix(20) { printError(warning.description) }
    if warnings.count > 20 { printError("… and \(warnings.count - 20) more warnings in \(path)") }
    return dataset
}

