import ArgumentParser
import Foundation
import STMTasks
import STMTensor

/// `stmd train context`: a context-aware head for a shipped classifier, trained on label-persistent streams.
///
/// A command of its own rather than `train classify --streams`: it trains none of the classifier's options
/// (the base model is frozen and only read), and its inputs differ — a base model and held-out documents.
struct TrainContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Train a context-aware head (stream state → classification) for a classifier, on streams of labelled documents.",
        discussion: """
            Orders the documents of --data into streams in which a label persists with each of the --persistence \
            values (0: shuffled), and trains a GRU over the stream and a correction of the base model's logits by \
            truncated backpropagation through time; the base model stays frozen. Use documents the base model was \
            not trained on (its validation split): on its own training data it is overconfident. The bundle goes \
            to --out, beside the base model, whose files are not touched.
            """
    )

    @Option(help: ArgumentHelp("The context-free base model: a name (looked up) or a bundle folder.", valueName: "name|dir"))
    var base: String

    @OptionGroup var search: ModelSearchOptions

    @Option(help: ArgumentHelp("Labelled documents held out from the base model's training: folder per label, TSV or fastText file.", valueName: "path"))
    var data: String

    @Option(help: ArgumentHelp("Which examples of --data to train on: all, or k/n (positions ≡ k mod n).", valueName: "all|k/n"))
    var subset: StreamSubset = StreamSubset(argument: "all")!

    @Option(help: ArgumentHelp("Output folder for the head's bundle.", valueName: "dir"))
    var out: String

    @Option(help: "Head name (default: the output folder's name).")
    var name: String?

    @Option(name: .customLong("model-version"), help: "Version recorded in the bundle.")
    var modelVersion: String = "1"

    @Option(help: "GRU state size.")
    var hidden: Int = 16

    @Option(help: "Training rounds (each orders all documents into fresh streams).")
    var rounds: Int = 30

    @Option(help: "Streams per round (the batch).")
    var streams: Int = 16

    @Option(help: "Truncated BPTT window, in documents.")
    var window: Int = 25

    @Option(help: ArgumentHelp("Label persistences of the training streams, comma-separated (0: shuffled).", valueName: "p,p,…"))
    var persistence: String = "0,0.3,0.5,0.7,0.8,0.9,0.95,0.98"

    @Option(name: .customLong("decay-probability"), help: "Chance per document of a random state decay in training.")
    var decayProbability: Double = 0.02

    @Option(name: .customLong("learning-rate"))
    var learningRate: Float = 3e-3

    @Option(help: "Random seed: the same seed and data give the same weights.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Weight of the trained head against the filter alone, averaged in logit space (1: the head as trained; 0: the filter). Scales the learned correction.", valueName: "w"))
    var blend: Float = 1

    @Option(name: .customLong("cross-fit-model"), help: ArgumentHelp("A replica of the base model trained without the matching --cross-fit-data (repeatable).", valueName: "name|dir"))
    var crossFitModels: [String] = []

    @Option(name: .customLong("cross-fit-data"), help: ArgumentHelp("Labelled documents the matching --cross-fit-model did not see: more held-out evidence for the GRU (repeatable).", valueName: "path"))
    var crossFitData: [String] = []

    @Option(name: .customLong("stream-length"), help: "Cut training streams to this many documents (default: all documents).")
    var streamLength: Int?

    @Option(name: .customLong("eval-subset"), help: ArgumentHelp("Also measure on this held-out part of --data (k/n) and put the table in the card.", valueName: "k/n"))
    var evalSubset: StreamSubset?

    @Option(name: .customLong("eval-seeds"), help: "Streams per persistence for the card's evaluation.")
    var evalSeeds: Int = 10

    @Option(name: .customLong("data-description"), help: "The data's description for the model card.")
    var dataDescription: String?

    @Option(help: "The data's licence, as its source states it, for the model card.")
    var licence: String = "not stated"

    func validate() throws {
        if hidden < 1 { throw ValidationError("--hidden must be at least 1") }
        if rounds < 1 || streams < 1 || window < 1 { throw ValidationError("--rounds, --streams and --window must be at least 1") }
        _ = try parsePersistences(persistence, option: "--persistence")
        if crossFitModels.count != crossFitData.count {
            throw ValidationError("give one --cross-fit-data per --cross-fit-model (got \(crossFitModels.count) and \(crossFitData.count))")
        }
        if let streamLength, streamLength < 2 { throw ValidationError("--stream-length must be at least 2") }
        if !(0...1).contains(blend) { throw ValidationError("--blend must be in 0...1 (got \(blend))") }
    }

    func run() throws {
        _ = configureThreads()
        let classifier = try loadClassifier(base, search: search)
        guard let baseHead = classifier.headParameters else {
            throw CommandFailure("\(classifier.directory): an ensemble has no single head to extend; use a single-network model")
        }
        let documents = try StreamDocuments.load(data, subset: subset, classifier: classifier)
        var options = ContextTrainingOptions()
        options.hiddenSize = hidden
        options.rounds = rounds
        options.streamsPerRound = streams
        options.window = window
        options.persistences = try parsePersistences(persistence, option: "--persistence")
        options.decayProbability = decayProbability
        options.learningRate = learningRate
        options.seed = seed
        options.streamLength = streamLength
        var crossFitted: [(logits: [[Float]], labels: [Int])] = []
        var crossFitNotes: [String] = []
        for (modelName, path) in zip(crossFitModels, crossFitData) {
            let replica = try loadClassifier(modelName, search: search)
            guard replica.labels == classifier.labels, let replicaHead = replica.headParameters else {
                throw CommandFailure("\(replica.directory): a cross-fit model needs the base model's labels and a single head")
            }
            let held = try StreamDocuments.load(path, subset: StreamSubset(argument: "all")!, classifier: replica)
            crossFitted.append((ContextHeadTraining.logits(of: held.vectors, head: replicaHead), held.labels))
            crossFitNotes.append("`\(replica.directory)` on `\(path)` (\(held.labels.count) documents)")
        }
        let logits = ContextHeadTraining.logits(of: documents.vectors, head: baseHead)
        printError("training on \(documents.labels.count) documents of \(data) (subset \(subset))")
        let trained = ContextHeadTraining(options: options).run(
            logits: logits, labels: documents.labels, classCount: classifier.labels.count, crossFitted: crossFitted
        ) { round, loss in
            printError("round \(round)/\(rounds)  loss \(fixed(Double(loss), 4))")
        }
        var configuration = ContextHeadConfiguration(
            name: name ?? URL(fileURLWithPath: out).lastPathComponent, version: modelVersion,
            baseModel: classifier.name, baseModelVersion: classifier.configuration.version, labels: classifier.labels,
            documentVectorSize: classifier.documentVectorSize, hiddenSize: hidden,
            stayProbabilities: options.stayProbabilities, temperature: trained.temperature)
        var arguments = CommandLine.arguments
        arguments[0] = "stmd"
        configuration.training = ContextTrainingRecord(
            command: shellQuoted(arguments), data: data, subset: subset.description, documents: documents.labels.count,
            persistences: options.persistences, streamsPerRound: streams, rounds: rounds, window: window, seed: seed,
            trainingSeconds: trained.seconds,
            temperatureLoss: [trained.temperatureLoss.before, trained.temperatureLoss.after],
            trainingAccuracy: [trained.lastRoundAccuracy.contextFree, trained.lastRoundAccuracy.filter, trained.lastRoundAccuracy.head])
        configuration.training?.crossFitted = crossFitNotes
        configuration.training?.streamLength = streamLength
        configuration.training?.blend = blend
        // Head and filter share `z + T·λ`; their logits averaged with weights (w, 1 − w) keep w of the correction.
        var parameters = trained.parameters
        parameters.correction.scale(by: blend)
        let head = ContextHead(configuration: configuration, trained: parameters, baseHead: baseHead)
        var evaluation: String?
        if let evalSubset {
            let held = try StreamDocuments.load(data, subset: evalSubset, classifier: classifier)
            let result = StreamEvaluation(
                head: head, vectors: held.vectors, labels: held.labels, persistences: [0.5, 0.8, 0.95, 0],
                seeds: (1...UInt64(max(evalSeeds, 1))).map { $0 })
            evaluation = """
                Streams over the \(held.labels.count) documents of subset \(evalSubset) of `\(data)` (not used in training), \
                each next document keeping the previous label with probability p; accuracy mean ± standard deviation over \
                \(evalSeeds) stream seeds, gains in points against the context-free model:

                \(result.table())
                """
            print(result.table())
        }
        do {
            try head.write(
                to: out,
                card: head.renderCard(
                    dataDescription: dataDescription ?? "Trained on `\(data)`.", licence: licence, evaluation: evaluation))
        } catch {
            throw CommandFailure("\(out): \(error)")
        }
        printError("temperature \(trained.temperature); \(fixed(trained.seconds, 1)) s of training")
        print("context head: \(out) (base \(classifier.name))")
    }
}
