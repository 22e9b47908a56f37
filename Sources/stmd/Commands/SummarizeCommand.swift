import ArgumentParser
import Foundation
import STMTasks

/// `stmd summarize`: the extractive summary of a document, one sentence per line.
struct SummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Print a document's extractive summary, one sentence per line, in document order.",
        discussion: """
            The first line is the title (never a candidate) when it is followed by a blank line and ends without \
            sentence punctuation (--title first-line or none to decide otherwise). Default length: the model's \
            default ratio (summary-news: the share of sentences its training references keep).
            """
    )

    @Option(help: ArgumentHelp("A model name (looked up) or a bundle folder.", valueName: "name|dir"))
    var model: String = "summary-news"

    @OptionGroup var search: ModelSearchOptions

    @OptionGroup var length: SummaryLengthOptions

    @Option(help: "Title rule: automatic, first-line or none.")
    var title: String = "automatic"

    @Flag(help: "Prefix each sentence with its position and score (tab-separated).")
    var scores: Bool = false

    @Argument(help: ArgumentHelp("The document (- for standard input).", valueName: "file"))
    var file: String

    func validate() throws {
        guard SummaryDocument.TitleRule(rawValue: title) != nil else {
            throw ValidationError("--title must be automatic, first-line or none (got \(title))")
        }
    }

    func run() throws {
        _ = configureThreads(reuseFreedMemory: false)
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("\(file): \(FileManager.default.fileExists(atPath: file) ? "cannot be read" : "no such file")")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandFailure("\(file == "-" ? "standard input" : file): not valid UTF-8 text")
        }
        let summarizer = try loadSummarizer(model, search: search)
        let document = SummaryDocument(text: text, title: SummaryDocument.TitleRule(rawValue: title)!)
        for sentence in summarizer.summarize(document, length: length.length) {
            print(scores ? "\(sentence.index)\t\(fixed(sentence.score, 4))\t\(sentence.text)" : sentence.text)
        }
    }
}
