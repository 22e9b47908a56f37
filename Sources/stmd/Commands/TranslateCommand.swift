import ArgumentParser
import Foundation
import STMTasks

/// `stmd translate`: a file translated line by line, one output line per input line.
struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate a text file line by line to standard output (one output line per input line).",
        discussion: """
            An empty line gives an empty line, so the output lines up with the input and can be scored against a \
            reference file. A line holding several sentences is translated sentence by sentence. Progress goes to stderr.
            """
    )

    @Option(help: ArgumentHelp("A model name (looked up) or a bundle folder.", valueName: "name|dir"))
    var model: String

    @OptionGroup var search: ModelSearchOptions

    @Option(help: "Beam width (1: greedy; default: the model's).")
    var beam: Int?

    @Option(name: .customLong("length-penalty"), help: "GNMT length-penalty exponent α (default: the model's).")
    var lengthPenalty: Float?

    @Option(help: ArgumentHelp(
        "Output layer: reference (float32, the model's own step), f32 (fused kernels) or bf16 (default where the CPU has AVX-512 BF16).",
        valueName: "reference|f32|bf16"))
    var decoding: TranslatorDecoding = .fastest

    @Argument(help: ArgumentHelp("The text file (- or nothing: standard input).", valueName: "file"))
    var file: String = "-"

    func validate() throws {
        if let beam, beam < 1 { throw ValidationError("--beam must be at least 1") }
    }

    func run() throws {
        _ = configureThreads(reuseFreedMemory: false)
        let lines = try readTextLines(file)
        let translator = try loadTranslator(model, search: search, decoding: decoding)
        printError("\(translator.name): \(lines.count) lines")
        for line in lines { print(translator.translate(line: line, beamWidth: beam, lengthPenalty: lengthPenalty)) }
    }
}

/// The lines of a UTF-8 text file (`-`: standard input); a final line break does not start another line.
func readTextLines(_ file: String) throws -> [String] {
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
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
    }
    if lines.last == "" { lines.removeLast() }
    return lines
}

func loadTranslator(
    _ nameOrPath: String, search: ModelSearchOptions, decoding: TranslatorDecoding = .fastest
) throws -> Translator {
    do {
        return try Translator(directory: try search.locator.locate(nameOrPath), decoding: decoding)
    } catch {
        throw CommandFailure(error.description)
    }
}
