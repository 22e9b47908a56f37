import ArgumentParser
import Foundation
import STMModels
import STMTasks

/// `stmd models`: the installed models, found the way every command finds them.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List installed models: task, labels, size and validation metrics."
    )

    @OptionGroup var search: ModelSearchOptions

    @Flag(help: "One JSON object per model (JSON Lines).")
    var json: Bool = false

    func run() throws {
        let locator = search.locator
        let models = locator.installedModels()
        if models.isEmpty {
            printError("no models found (searched: \(locator.searchPath.joined(separator: ", ")))")
            return
        }
        for (name, directory) in models {
            if SummarizerBundle.format(of: directory) == SummarizerConfiguration.currentFormat {
                try listSummarizer(name: name, directory: directory)
                continue
            }
            if SummarizerBundle.format(of: directory) == TranslatorConfiguration.currentFormat {
                try listTranslator(name: name, directory: directory)
                continue
            }
            let configuration: ClassifierConfiguration
            do {
                configuration = try ClassifierBundle.readConfiguration(from: directory)
            } catch {
                // A context head's bundle sits among the models it extends: list it as such, not as a broken model.
                if let head = try? ContextHead(directory: directory) {
                    if !json { print("\(name)  v\(head.configuration.version)  context head for \(head.baseModelName)\n    \(directory)") }
                } else {
                    printError("warning: \(error)")
                }
                continue
            }
            let bytes = folderBytes(directory)
            let validation = configuration.training?.validation
            if json {
                let entry = ModelListing(
                    name: configuration.name, version: configuration.version, task: configuration.task,
                    labels: configuration.labels, bytes: bytes, accuracy: validation?.accuracy, macroF1: validation?.macroF1,
                    validationExamples: validation?.examples, cell: configuration.cell.rawValue, path: directory)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(entry), as: UTF8.self))
            } else {
                let metrics = validation.map { "accuracy \(percent($0.accuracy)), macro-F1 \(percent($0.macroF1)) on \($0.examples)" } ?? "no metrics"
                print("\(name)  v\(configuration.version)  \(configuration.task)  \(fixed(Double(bytes) / 1_048_576, 2)) MiB  \(configuration.cell.rawValue)")
                print("    labels: \(configuration.labels.joined(separator: ", "))")
                print("    validation: \(metrics)")
                print("    \(directory)")
            }
        }
    }

    /// A summarizer's line: its task, size, default length and validation ROUGE (no labels).
    private func listSummarizer(name: String, directory: String) throws {
        let configuration: SummarizerConfiguration
        do {
            configuration = try SummarizerBundle.readConfiguration(from: directory)
        } catch {
            printError("warning: \(error)")
            return
        }
        let bytes = folderBytes(directory)
        let rouge = configuration.training?.validation["model"]
        let examples = configuration.training?.validationDocuments
        if json {
            let entry = ModelListing(
                name: configuration.name, version: configuration.version, task: configuration.task, labels: [], bytes: bytes,
                validationExamples: examples, cell: "gru", path: directory, rouge1: rouge?.rouge1, rouge2: rouge?.rouge2,
                rougeL: rouge?.rougeL)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(entry), as: UTF8.self))
        } else {
            let metrics = rouge.map {
                "ROUGE-1 \(fixed($0.rouge1 * 100, 2)), ROUGE-2 \(fixed($0.rouge2 * 100, 2)), ROUGE-L \(fixed($0.rougeL * 100, 2)) on \(examples ?? 0)"
            } ?? "no metrics"
            print("\(name)  v\(configuration.version)  \(configuration.task)  \(fixed(Double(bytes) / 1_048_576, 2)) MiB  gru")
            print("    default length: \(fixed(configuration.defaultRatio * 100, 0))% of the sentences")
            print("    validation: \(metrics)")
            print("    \(directory)")
        }
    }

    /// A translator's line: its task, languages and size.
    private func listTranslator(name: String, directory: String) throws {
        let configuration: TranslatorConfiguration
        do {
            configuration = try TranslatorBundle.readConfiguration(from: directory)
        } catch {
            printError("warning: \(error)")
            return
        }
        let bytes = folderBytes(directory)
        if json {
            let entry = ModelListing(
                name: configuration.name, version: configuration.version, task: configuration.task, labels: [], bytes: bytes,
                cell: "gru", path: directory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(entry), as: UTF8.self))
        } else {
            print("\(name)  v\(configuration.version)  \(configuration.task)  \(fixed(Double(bytes) / 1_048_576, 2)) MiB  gru")
            print("    \(configuration.sourceLanguage) → \(configuration.targetLanguage), beam \(configuration.beamWidth)")
            print("    \(directory)")
        }
    }

    private func folderBytes(_ directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? 0)
        }
    }
}

struct ModelListing: Encodable {
    var name: String
    var version: String
    var task: String
    var labels: [String]
    var bytes: Int
    var accuracy: Double?
    var macroF1: Double?
    var validationExamples: Int?
    var cell: String
    var path: String
    var rouge1: Double?
    var rouge2: Double?
    var rougeL: Double?

    enum CodingKeys: String, CodingKey {
        case name, version, task, labels, bytes, accuracy, cell, path
        case rouge1 = "rouge1_f1", rouge2 = "rouge2_f1", rougeL = "rougeL_f1"
        case macroF1 = "macro_f1"
        case validationExamples = "validation_examples"
    }
}
