import ArgumentParser
import Foundation
import STMTasks

/// `stmd eval classify`: accuracy, macro-F1 and the confusion matrix of a classifier on labelled data, each
/// line or file scored on its own (no stream context).
struct EvalClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Accuracy, macro-F1 and the confusion matrix of a text classifier."
    )

    @Option(help: ArgumentHelp("A model name (looked up) or a bundle folder.", valueName: "name|dir"))
    var model: String

    @OptionGroup var search: ModelSearchOptions

    @Option(help: ArgumentHelp("Labelled data: folder per label, TSV or fastText file.", valueName: "path"))
    var data: String

    @Flag(help: "Print one JSON object instead of the report.")
    var json: Bool = false

    func run() throws {
        _ = configureThreads()
        let classifier = try loadClassifier(model, search: search)
        let dataset = try loadDataset(data, forTraining: false)
        let unknown = Set(dataset.labels).subtracting(classifier.labels)
        if !unknown.isEmpty {
            let example = dataset.examples.first { unknown.contains($0.label) }!
            throw CommandFailure(
                "\(example.source): label '\(example.label)' is not one of the model's labels "
                    + "(\(classifier.labels.joined(separator: ", ")))")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let results = classifier.classify(dataset.examples.map(\.text))
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let index = Dictionary(uniqueKeysWithValues: classifier.labels.enumerated().map { ($1, $0) })
        let metrics = ClassificationMetrics(
            labels: classifier.labels, truths: dataset.examples.map { index[$0.label]! }, predictions: results.map(\.classIndex))
        if json {
            let object = EvalReport(
                model: classifier.name, modelVersion: classifier.configuration.version, examples: metrics.total,
                accuracy: metrics.accuracy, macroF1: metrics.macroF1, labels: metrics.labels, confusion: metrics.confusion,
                perClass: metrics.labels.indices.map {
                    EvalReport.ClassScores(label: metrics.labels[$0], precision: metrics.precision($0), recall: metrics.recall($0), f1: metrics.f1($0), support: metrics.confusion[$0].reduce(0, +))
                },
                elapsedSeconds: seconds, docsPerSecondTiming: seconds > 0 ? Double(metrics.total) / seconds : 0)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(object), as: UTF8.self))
        } else {
            print("model     \(classifier.name) (version \(classifier.configuration.version)), \(classifier.directory)")
            print("data      \(data)")
            print(metrics.report())
            printError("\(metrics.total) documents in \(fixed(seconds, 2)) s (\(fixed(Double(metrics.total) / max(seconds, 1e-9), 0)) docs/s)")
        }
    }
}

/// `stmd eval --json`: the metrics, then run-dependent values under keys naming time.
struct EvalReport: Encodable {
    struct ClassScores: Encodable {
        var label: String
        var precision: Double
        var recall: Double
        var f1: Double
        var support: Int
    }

    var model: String
    var modelVersion: String
    var examples: Int
    var accuracy: Double
    var macroF1: Double
    var labels: [String]
    var confusion: [[Int]]
    var perClass: [ClassScores]
    var elapsedSeconds: Double
    var docsPerSecondTiming: Double

    enum CodingKeys: String, CodingKey {
        case model, examples, accuracy, labels, confusion
        case modelVersion = "model_version"
        case macroF1 = "macro_f1"
        case perClass = "per_class"
        case elapsedSeconds = "elapsed_seconds"
        case docsPerSecondTiming = "docs_per_second_timing"
    }
}

/// A classifier by name (looked up) or folder; a clear error naming the places searched.
func loadClassifier(_ nameOrPath: String, search: ModelSearchOptions) throws -> TextClassifier {
    do {
        let directory = try search.locator.locate(nameOrPath)
        return try TextClassifier(directory: directory)
    } catch {
        throw CommandFailure(error.description)
    }
}
