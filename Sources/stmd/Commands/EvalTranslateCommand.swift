import ArgumentParser
import Foundation
import STMTasks

/// `stmd eval translate`: corpus BLEU of a translator on aligned source and reference files.
struct EvalTranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Corpus BLEU of a translator (sacrebleu's default: cased, 13a tokenization, detokenized output).",
        discussion: "Line i of --target is the reference translation of line i of --source."
    )

    @Option(help: ArgumentHelp("A model name (looked up) or a bundle folder.", valueName: "name|dir"))
    var model: String

    @OptionGroup var search: ModelSearchOptions

    @Option(help: ArgumentHelp("Source-language lines.", valueName: "file"))
    var source: String

    @Option(help: ArgumentHelp("Reference translations, aligned with --source.", valueName: "file"))
    var target: String

    @Option(help: "Beam width (1: greedy; default: the model's).")
    var beam: Int?

    @Option(name: .customLong("length-penalty"), help: "GNMT length-penalty exponent α (default: the model's).")
    var lengthPenalty: Float?

    @Option(help: ArgumentHelp(
        "Output layer: reference (float32, the model's own step), f32 (fused kernels) or bf16 (default where the CPU has AVX-512 BF16).",
        valueName: "reference|f32|bf16"))
    var decoding: TranslatorDecoding = .fastest

    @Option(help: "Write the translations here as well.")
    var output: String?

    @Flag(help: "Print the result as JSON.")
    var json: Bool = false

    func run() throws {
        _ = configureThreads(reuseFreedMemory: false)
        let sources = try readTextLines(source), references = try readTextLines(target)
        guard sources.count == references.count else {
            throw CommandFailure("\(target): \(references.count) lines, but \(source) has \(sources.count)")
        }
        let translator = try loadTranslator(model, search: search, decoding: decoding)
        let start = Date(), startCPU = Self.threadCPUSeconds()
        var hypotheses: [String] = []
        for (index, line) in sources.enumerated() {
            hypotheses.append(translator.translate(line: line, beamWidth: beam, lengthPenalty: lengthPenalty))
            if (index + 1) % 200 == 0 { printError("\(index + 1)/\(sources.count) lines") }
        }
        let seconds = Date().timeIntervalSince(start), cpuSeconds = Self.threadCPUSeconds() - startCPU
        if let output {
            try Data((hypotheses.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        }
        let bleu = CorpusBLEU(hypotheses: hypotheses, references: references)
        if json {
            let object: [String: Any] = [
                "model": translator.name, "lines": sources.count, "bleu": bleu.score, "precisions": bleu.precisions,
                "brevityPenalty": bleu.brevityPenalty, "hypothesisLength": bleu.hypothesisLength,
                "referenceLength": bleu.referenceLength, "beam": beam ?? translator.configuration.beamWidth,
                "lengthPenalty": lengthPenalty ?? translator.configuration.lengthPenalty, "seconds": seconds,
                "cpuSeconds": cpuSeconds,
                "decoding": translator.decoding.rawValue,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                "BLEU = \(fixed(bleu.score, 2)) \(bleu.precisions.map { fixed($0, 1) }.joined(separator: "/")) "
                    + "(BP = \(fixed(bleu.brevityPenalty, 3)) hyp_len = \(bleu.hypothesisLength) ref_len = \(bleu.referenceLength))")
            print("\(sources.count) lines in \(fixed(seconds, 1)) s")
        }
    }

    /// CPU time of the calling thread (translation runs on it alone with `STMD_THREADS=1`): on a shared machine it
    /// leaves out the time other processes held the core, which the wall clock `seconds` includes.
    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
