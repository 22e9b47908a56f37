import ArgumentParser
import Foundation
import STMLogs

/// `stmd eval logs`: precision, recall, F1 and false-positive rate of a log anomaly model.
struct EvalLogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Precision, recall, F1 and false-positive rate of a log anomaly model.",
        discussion: """
            Key sessions (--normal, --abnormal): a positive is an abnormal session; a session is flagged when any \
            of its keys is anomalous. Labelled raw lines (--labelled, models trained with --data): the first field \
            of each line is its label (`-` normal, anything else anomalous, as in loghub's BGL), each line scored \
            as the stream goes on; the model's --skip-fields count from the start of the line.
            """
    )

    @Option(help: ArgumentHelp("The model bundle folder.", valueName: "dir"))
    var model: String

    @Option(help: ArgumentHelp("Normal key sessions, one per line.", valueName: "file"))
    var normal: String?

    @Option(help: ArgumentHelp("Abnormal key sessions, one per line.", valueName: "file"))
    var abnormal: String?

    @Option(
        parsing: .upToNextOption, help: ArgumentHelp("Raw log files with a label as first field.", valueName: "file"))
    var labelled: [String] = []

    @Option(help: "g: override the model's number of candidates.")
    var candidates: Int?

    @Option(name: .customLong("min-probability"), help: "Override the model's minimum probability of an expected line.")
    var minimumProbability: Double?

    @Flag(
        help:
            "Labelled lines: after each normal line flagged, retrain on it as an operator would (mark-normal); it still counts as a false positive."
    )
    var feedback: Bool = false

    @Option(name: .customLong("show-misses"), help: "Print up to this many misclassified sessions to stderr.")
    var showMisses: Int = 0

    @Flag(help: "Print one JSON object instead of the report.")
    var json: Bool = false

    func validate() throws {
        if labelled.isEmpty && normal == nil && abnormal == nil {
            throw ValidationError("give --normal FILE and/or --abnormal FILE (key sessions), or --labelled FILE…")
        }
        if !labelled.isEmpty && (normal != nil || abnormal != nil) {
            throw ValidationError("--labelled does not combine with --normal/--abnormal")
        }
        if let candidates, candidates < 1 { throw ValidationError("--candidates must be at least 1") }
        if feedback && labelled.isEmpty { throw ValidationError("--feedback applies to --labelled lines") }
    }

    func run() throws {
        _ = configureThreads()
        let bundle: LogModelBundle
        do { bundle = try LogModelBundle(directory: model) } catch { throw CommandFailure(error.description) }
        var settings = bundle.configuration.detector
        if let candidates { settings.candidates = candidates }
        if let minimumProbability { settings.minimumProbability = minimumProbability }
        if let problem = settings.validationError { throw ValidationError(problem) }
        var detector = bundle.makeDetector(settings: settings)
        var counts = DetectionCounts()
        var units = "sessions"
        let started = ContinuousClock.now
        if labelled.isEmpty {
            guard bundle.configuration.source == .keys else {
                throw CommandFailure("\(model): trained on raw lines; score it with --labelled FILE…")
            }
            counts = try LogData.scoreSessions(
                detector: &detector, normal: normal, abnormal: abnormal, showMisses: showMisses)
        } else {
            guard var miner = try bundle.templates.map({ try TemplateMiner(state: $0) }) else {
                throw CommandFailure("\(model): a key-session model; score it with --normal/--abnormal")
            }
            units = "lines"
            for path in labelled {
                detector.startStream()
                for line in try LogData.lines(of: path) where !line.isEmpty {
                    let label = line.prefix { $0 != " " && $0 != "\t" }
                    let message = LogData.message(line, skippingFields: bundle.configuration.skipFields)
                    let verdict = detector.observe(miner.add(String(message)).templateId)
                    counts.add(flagged: verdict.isAnomalous, abnormal: label != "-")
                    if feedback && verdict.isAnomalous && label == "-" { detector.markNormal(verdict) }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if json {
            let report = LogEvalReport(
                model: bundle.configuration.name, unit: units, window: settings.window, candidates: settings.candidates,
                precision: counts.precision, recall: counts.recall, f1: counts.f1,
                falsePositiveRate: counts.falsePositiveRate, counts: counts, elapsedSeconds: seconds)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("model      \(bundle.configuration.name) (h = \(settings.window), g = \(settings.candidates))")
            print(
                "\(units)   \(counts.truePositives + counts.falseNegatives) abnormal, \(counts.falsePositives + counts.trueNegatives) normal"
            )
            print("precision  \(fixed(counts.precision, 4))")
            print("recall     \(fixed(counts.recall, 4))")
            print("F1         \(fixed(counts.f1, 4))")
            print("FPR        \(fixed(counts.falsePositiveRate, 4)) (\(counts.falsePositives) normal \(units) flagged)")
            print(
                "TP \(counts.truePositives)  FP \(counts.falsePositives)  TN \(counts.trueNegatives)  FN \(counts.falseNegatives)"
            )
        }
    }
}

/// `stmd eval logs --json`.
struct LogEvalReport: Encodable {
    var model: String
    var unit: String
    var window: Int
    var candidates: Int
    var precision: Double
    var recall: Double
    var f1: Double
    var falsePositiveRate: Double
    var counts: DetectionCounts
    var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case model, unit, window, candidates, precision, recall, f1, counts
        case falsePositiveRate = "false_positive_rate"
        case elapsedSeconds = "elapsed_seconds"
    }
}
