import ArgumentParser
import Foundation
import STMLogs
import STMModels
import STMTensor

/// `stmd train logs`: DeepLog's next-key LSTM from key sessions, or from raw log files through Drain templates.
struct TrainLogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Train a log anomaly model (Drain templates + DeepLog next-key LSTM).",
        discussion: """
            --keys FILE: DeepLog sessions, one per line, space-separated integer keys (all normal). \
            --data FILE…: raw log files, each one stream of lines, or journal exports (`journalctl -o export`), \
            one stream per unit; Drain mines the templates first (--skip-fields drops header fields such as dates \
            and hosts in raw files). Progress goes to stderr.
            """
    )

    @Option(help: ArgumentHelp("Key sessions (normal), one per line.", valueName: "file"))
    var keys: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Raw log files, one stream each.", valueName: "file"))
    var data: [String] = []

    @Option(
        name: .customLong("valid-normal"),
        help: ArgumentHelp("Held-out normal key sessions scored after training (model card).", valueName: "file"))
    var validNormal: String?

    @Option(
        name: .customLong("valid-abnormal"),
        help: ArgumentHelp("Held-out abnormal key sessions scored after training.", valueName: "file"))
    var validAbnormal: String?

    @Option(help: ArgumentHelp("Output folder for the model bundle.", valueName: "dir"))
    var out: String

    @Option(name: .customLong("data-description"), help: "What the data is and where it comes from (model card).")
    var dataDescription: String?

    @Option(help: "The data's licence, as its source states it (model card).")
    var licence: String?

    @Option(help: "Model name (default: the output folder's name).")
    var name: String?

    @Option(help: "h: keys of history the model predicts from.")
    var window: Int = 10

    @Option(help: "g: a line is normal when its template is among this many predictions.")
    var candidates: Int = 9

    @Option(
        name: .customLong("min-probability"),
        help: "A line within the top g is still anomalous below this probability (0: pure top-g).")
    var minimumProbability: Double = 0.001

    @Option(help: "LSTM hidden size.")
    var hidden: Int = 64

    @Option(name: .customLong("embedding-size"), help: "Template vector size.")
    var embeddingSize: Int = 16

    @Option(
        name: .customLong("spare-classes"), help: "Classes kept free for templates learned later (operator feedback).")
    var spareClasses: Int = 16

    @Option(help: "Passes over the training windows.")
    var epochs: Int = 20

    @Option(name: .customLong("batch-size"))
    var batchSize: Int = 64

    @Option(name: .customLong("learning-rate"))
    var learningRate: Float = 3e-3

    @Option var seed: UInt64 = 1

    @Option(name: .customLong("skip-fields"), help: "Raw lines: leading white-space fields to drop before parsing.")
    var skipFields: Int = 0

    @Option(
        name: .customLong("stream-field"), parsing: .upToNextOption,
        help: "Journal exports: the fields naming an entry's stream, tried in order.")
    var streamFields: [String] = ["_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER"]

    @Option(help: "Drain: similarity threshold for joining a template.")
    var similarity: Double = 0.5

    @Option(help: "Drain: parse tree depth.")
    var depth: Int = 4

    func validate() throws {
        if (keys == nil) == data.isEmpty { throw ValidationError("give either --keys FILE or --data FILE…") }
        if keys == nil && (validNormal != nil || validAbnormal != nil) {
            throw ValidationError("--valid-normal/--valid-abnormal are key sessions: they go with --keys")
        }
        let settings = LogDetectorSettings(
            window: window, candidates: candidates, minimumProbability: minimumProbability)
        if let problem = settings.validationError { throw ValidationError(problem) }
        if hidden < 1 || embeddingSize < 1 || epochs < 1 || batchSize < 1 || spareClasses < 0 {
            throw ValidationError(
                "--hidden, --embedding-size, --epochs and --batch-size must be positive, --spare-classes not negative")
        }
        let drain = TemplateMinerConfiguration(depth: depth, similarityThreshold: similarity)
        if let problem = drain.validationError { throw ValidationError(problem) }
    }

    func run() throws {
        let threads = configureThreads()
        let started = ContinuousClock.now
        var sequences: [[Int]]
        var templates: TemplateMinerState?
        var inputs: [String]
        if let keys {
            sequences = try LogData.readSessions(keys)
            inputs = [keys]
        } else {
            var miner = TemplateMiner(
                configuration: TemplateMinerConfiguration(depth: depth, similarityThreshold: similarity))
            sequences = []
            for path in data {
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw CommandFailure(
                        "\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")")
                }
                if JournalExport.looksLikeExport(contents) {
                    // A journal export: one sequence per unit (or per --stream-field), in file order.
                    var byStream: [String: [Int]] = [:]
                    var order: [String] = []
                    for entry in try JournalExport.read(contents, path: path, streamFields: streamFields) {
                        if byStream[entry.stream] == nil { order.append(entry.stream) }
                        byStream[entry.stream, default: []].append(miner.add(entry.message).templateId)
                    }
                    sequences += order.map { byStream[$0]! }
                } else {
                    sequences.append(
                        try LogData.lines(of: path).filter { !$0.isEmpty }.map { line in
                            miner.add(String(LogData.message(line, skippingFields: skipFields))).templateId
                        })
                }
            }
            templates = miner.state
            inputs = data
            printError("templates: \(miner.templateCount) from \(sequences.reduce(0) { $0 + $1.count }) lines")
        }
        if keys != nil {
            // Sessions have an end: the model learns it, so a truncated session is an anomaly.
            sequences = sequences.map { $0 + [LogAnomalyDetector.endOfSequenceId] }
        }
        guard sequences.contains(where: { !$0.isEmpty }) else {
            throw CommandFailure("\(inputs.joined(separator: ", ")): no log lines to train on")
        }
        let ids = Set(sequences.joined()).subtracting([TemplateMiner.unknownId]).sorted()
        let vocabulary = TemplateVocabulary(capacity: ids.count + 1 + spareClasses, templateIds: ids)
        let detector = LogDetectorSettings(
            window: window, candidates: candidates, minimumProbability: minimumProbability)
        let model = NextKeyModel(classCount: vocabulary.capacity, embeddingSize: embeddingSize, hiddenSize: hidden)
        let windows = sequences.flatMap { model.windows(of: $0.map(vocabulary.classIndex(of:)), window: window) }
        let options = NextKeyTrainingOptions(
            epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
        printError(
            "training on \(sequences.count) sequences (\(sequences.reduce(0) { $0 + $1.count }) keys, \(windows.count) windows); "
                + "\(ids.count) templates, \(vocabulary.capacity) classes")
        var generator = SplitMix64(seed: seed)
        var lastLoss: Float = 0
        let parameters = NextKeyTraining.train(
            model, parameters: model.makeParameters(using: &generator), windows: windows, options: options
        ) { epoch, loss in
            lastLoss = loss
            printError("epoch \(epoch): loss \(loss)")
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let record = LogModelConfiguration.TrainingRecord(
            command: "stmd " + shellQuoted(Array(CommandLine.arguments.dropFirst())), data: inputs,
            sequences: sequences.count,
            lines: sequences.reduce(0) { $0 + $1.count }, windows: windows.count, options: options, finalLoss: lastLoss,
            seconds: seconds, threads: threads)
        let name = name ?? URL(fileURLWithPath: out).lastPathComponent
        let configuration = LogModelConfiguration(
            name: name, source: keys == nil ? .templates : .keys, embeddingSize: embeddingSize, hiddenSize: hidden,
            detector: detector, vocabulary: vocabulary, skipFields: skipFields, training: record)
        let bundle = LogModelBundle(configuration: configuration, parameters: parameters, templates: templates)
        var validation: (counts: DetectionCounts, data: [String])?
        if validNormal != nil || validAbnormal != nil {
            var scorer = bundle.makeDetector()
            let counts = try LogData.scoreSessions(detector: &scorer, normal: validNormal, abnormal: validAbnormal)
            validation = (counts, [validNormal, validAbnormal].compactMap { $0 })
            print(
                "validation: precision \(fixed(counts.precision, 4)), recall \(fixed(counts.recall, 4)), F1 \(fixed(counts.f1, 4)), "
                    + "false-positive rate \(fixed(counts.falsePositiveRate, 4))")
        }
        try bundle.write(
            to: out,
            card: LogModelCard.render(
                configuration, record: record, templateCount: templates?.templates.count, validation: validation,
                dataDescription: dataDescription, licence: licence))
        print("trained \(name): \(ids.count) templates, final loss \(lastLoss), \(Int(seconds)) s")
        print("model: \(out)")
    }
}
