import ArgumentParser
import Foundation
import STMTasks

/// `stmd eval streams`: accuracy with stream context — the context-free model, the persistence filter over its
/// probabilities, and a context head — on label-persistent streams of held-out documents.
struct EvalStreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams",
        abstract: "Accuracy on label-persistent streams: context-free model, persistence filter, context head.",
        discussion: """
            Orders the documents of --data into streams in which each next document keeps the previous label with \
            probability p (each value of --persistence; 0: shuffled), once per stream seed, and scores every document \
            with the state its stream's previous documents left. The filter uses the temperature stored in the head \
            (fitted on the head's training documents). Prints a Markdown table: mean ± standard deviation over seeds.
            """
    )

    @Option(name: .customLong("context-head"), help: ArgumentHelp("The context head: a name (looked up) or a bundle folder.", valueName: "name|dir"))
    var contextHead: String

    @Option(help: ArgumentHelp("The base model (default: the one the head names).", valueName: "name|dir"))
    var model: String?

    @OptionGroup var search: ModelSearchOptions

    @Option(help: ArgumentHelp("Labelled held-out documents: folder per label, TSV or fastText file.", valueName: "path"))
    var data: String

    @Option(help: ArgumentHelp("Which examples of --data to use: all, or k/n (positions ≡ k mod n).", valueName: "all|k/n"))
    var subset: StreamSubset = StreamSubset(argument: "all")!

    @Option(help: ArgumentHelp("Label persistences, comma-separated (0: shuffled).", valueName: "p,p,…"))
    var persistence: String = "0.5,0.8,0.95,0"

    @Option(help: "Streams per persistence (seeds 1…N).")
    var seeds: Int = 10

    @Option(help: ArgumentHelp("Also write each document's label index and document vector (TSV) here, for external peers.", valueName: "file"))
    var exportVectors: String?

    func validate() throws {
        _ = try parsePersistences(persistence, option: "--persistence")
        if seeds < 1 { throw ValidationError("--seeds must be at least 1") }
    }

    func run() throws {
        _ = configureThreads()
        let head: ContextHead
        do {
            head = try ContextHead(directory: try search.locator.locate(contextHead))
        } catch {
            throw CommandFailure(error.description)
        }
        let classifier = try loadClassifier(model ?? head.baseModelName, search: search)
        do {
            try head.checkBase(classifier)
        } catch {
            throw CommandFailure(error.description)
        }
        let documents = try StreamDocuments.load(data, subset: subset, classifier: classifier)
        if let exportVectors {
            let lines = zip(documents.labels, documents.vectors).map { label, vector in
                "\(label)\t" + vector.map { String($0) }.joined(separator: " ")
            }
            do {
                try (lines.joined(separator: "\n") + "\n").write(toFile: exportVectors, atomically: true, encoding: .utf8)
            } catch {
                throw CommandFailure("\(exportVectors): \(error)")
            }
        }
        let result = StreamEvaluation(
            head: head, vectors: documents.vectors, labels: documents.labels,
            persistences: try parsePersistences(persistence, option: "--persistence"), seeds: (1...UInt64(seeds)).map { $0 })
        print("context head \(head.name) on \(classifier.name); \(documents.labels.count) documents of \(data) (subset \(subset)); \(seeds) streams per persistence; filter T = \(head.filter.temperature)")
        print("")
        print(result.table())
    }
}
