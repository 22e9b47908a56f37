import ArgumentParser
import Foundation
import STMTasks

/// `stmd eval summarize`: ROUGE of a summarizer beside Lead-K, TextRank and the extractive oracle.
struct EvalSummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "ROUGE-1/2/L F1 of an extractive summarizer, with Lead-K, TextRank (same length), Lead-3 and the oracle.",
        discussion: """
            DIR holds articles/<topic>/<n>.txt and summaries/<topic>/<n>.txt. ROUGE is computed as the rouge-score \
            package does with use_stemmer=True. Lead-K and TextRank keep as many sentences as the model does on \
            each article; Lead-3 keeps the first three; the oracle is the set of article sentences the reference \
            contains.
            """
    )

    @Option(help: ArgumentHelp("A model name (looked up) or a bundle folder.", valueName: "name|dir"))
    var model: String

    @OptionGroup var search: ModelSearchOptions

    @Option(help: ArgumentHelp("Articles and reference summaries (BBC layout).", valueName: "dir"))
    var data: String

    @Option(help: "Which documents: all, or the training run's validation part (i % 10 == 9 per topic).")
    var split: String = "all"

    @OptionGroup var length: SummaryLengthOptions

    @Flag(help: "Print one JSON object instead of the table.")
    var json: Bool = false

    func validate() throws {
        guard ["all", "validation"].contains(split) else { throw ValidationError("--split must be all or validation (got \(split))") }
    }

    func run() throws {
        _ = configureThreads()
        let summarizer = try loadSummarizer(model, search: search)
        let corpus: SummaryCorpus
        do {
            corpus = try SummaryCorpus.load(directory: data)
        } catch {
            throw CommandFailure(error.description)
        }
        let examples = split == "validation" ? corpus.split().validation : corpus.examples
        let evaluation = SummaryEvaluation.run(summarizer, on: examples, length: length.length)
        let meanSentences = Double(evaluation.selectedSentences) / Double(max(evaluation.documents, 1))
        if json {
            let report = SummaryEvalReport(
                model: summarizer.name, modelVersion: summarizer.configuration.version, documents: evaluation.documents,
                meanSentences: meanSentences, systems: evaluation.means.mapValues {
                    SummaryEvalReport.Scores(rouge1: $0.rouge1, rouge2: $0.rouge2, rougeL: $0.rougeL)
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("model     \(summarizer.name) (version \(summarizer.configuration.version)), \(summarizer.directory)")
            print("data      \(data) (\(split)): \(evaluation.documents) articles, \(fixed(meanSentences, 2)) sentences per summary")
            print(evaluation.table())
        }
    }
}

struct SummaryEvalReport: Encodable {
    struct Scores: Encodable {
        var rouge1: Double
        var rouge2: Double
        var rougeL: Double

        enum CodingKeys: String, CodingKey {
            case rouge1 = "rouge1_f1", rouge2 = "rouge2_f1", rougeL = "rougeL_f1"
        }
    }

    var model: String
    var modelVersion: String
    var documents: Int
    var meanSentences: Double
    var systems: [String: Scores]

    enum CodingKeys: String, CodingKey {
        case model, documents, systems
        case modelVersion = "model_version"
        case meanSentences = "mean_sentences"
    }
}
