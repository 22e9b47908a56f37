import ArgumentParser
import Foundation
import STMModels
import STMTasks
import STMText

/// `stmd train translate`: an attention translator from aligned line files, resumable from checkpoints.
struct TrainTranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Train an attention translator (BiGRU encoder, GRU decoder with Luong attention, shared BPE subwords).",
        discussion: """
            Line i of --target translates line i of --source. --valid-source/--valid-target (aligned too) choose the \
            epoch with the best greedy BLEU. Checkpoints go to --checkpoint (default: <out>/checkpoint) every \
            --checkpoint-every steps and after each epoch; --resume continues from there with the same settings and data.
            """
    )

    @Option(help: ArgumentHelp("Source-language training lines.", valueName: "file")) var source: String
    @Option(help: ArgumentHelp("Target-language training lines.", valueName: "file")) var target: String
    @Option(name: .customLong("valid-source"), help: ArgumentHelp("Validation source lines.", valueName: "file"))
    var validSource: String
    @Option(name: .customLong("valid-target"), help: ArgumentHelp("Validation reference lines.", valueName: "file"))
    var validTarget: String
    @Option(help: ArgumentHelp("Output folder for the model bundle.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("Checkpoint folder (default: <out>/checkpoint).", valueName: "dir")) var checkpoint: String?
    @Flag(help: "Continue from the checkpoint.") var resume: Bool = false
    @Option(help: "Model name (default: the output folder's name).") var name: String?
    @Option(name: .customLong("source-language")) var sourceLanguage: String = "en"
    @Option(name: .customLong("target-language")) var targetLanguage: String = "de"
    @Option(help: "BPE merges (the shared vocabulary has about 300 + this many tokens).") var merges: Int = 8000
    @Option(name: .customLong("embedding-size")) var embeddingSize: Int = 256
    @Option(name: .customLong("encoder-hidden"), help: "Encoder GRU size per direction.") var encoderHidden: Int = 256
    @Option(name: .customLong("decoder-hidden")) var decoderHidden: Int = 256
    @Option var dropout: Float = 0.2
    @Option var epochs: Int = 20
    @Option(name: .customLong("batch-size")) var batchSize: Int = 64
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 1e-3
    @Option(name: .customLong("checkpoint-every")) var checkpointEvery: Int = 200
    @Option(name: .customLong("bleu-lines"), help: "Validation lines decoded for the per-epoch BLEU.") var bleuLines: Int = 300
    @Option var patience: Int = 4
    @Option(name: .customLong("plateau-decay"), help: "Learning-rate factor after an epoch without a better validation BLEU.")
    var plateauDecay: Float = 0.5
    @Option var seed: UInt64 = 1
    @Option(help: "Stored weight type: bf16, f16 or f32.") var dtype: String = "f16"

    func validate() throws {
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32 (got \(dtype))") }
        if embeddingSize < 1 || encoderHidden < 1 || decoderHidden < 1 { throw ValidationError("sizes must be at least 1") }
        if epochs < 1 || batchSize < 1 || checkpointEvery < 1 { throw ValidationError("--epochs, --batch-size and --checkpoint-every must be at least 1") }
        if !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1)") }
        if !(plateauDecay > 0 && plateauDecay <= 1) { throw ValidationError("--plateau-decay must be in (0, 1]") }
    }

    func run() throws {
        let threads = configureThreads()
        let sources = try readTextLines(source), targets = try readTextLines(target)
        let validSources = try readTextLines(validSource), validTargets = try readTextLines(validTarget)
        guard sources.count == targets.count else {
            throw CommandFailure("\(target): \(targets.count) lines, but \(source) has \(sources.count)")
        }
        guard validSources.count == validTargets.count else {
            throw CommandFailure("\(validTarget): \(validTargets.count) lines, but \(validSource) has \(validSources.count)")
        }
        let configuration = TranslatorConfiguration(
            name: name ?? URL(fileURLWithPath: out).lastPathComponent, sourceLanguage: sourceLanguage, targetLanguage: targetLanguage,
            embeddingSize: embeddingSize, encoderHiddenSize: encoderHidden, decoderHiddenSize: decoderHidden, dropout: dropout)
        var options = TranslatorTraining.Options()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        options.merges = merges
        options.checkpointEvery = checkpointEvery
        options.validationBLEULines = bleuLines
        options.patience = patience
        options.plateauDecay = plateauDecay
        printError("threads: \(threads)")
        let result: TranslatorTraining.Result
        do {
            result = try TranslatorTraining(configuration: configuration, options: options).run(
                sources: sources, targets: targets, validationSources: validSources, validationTargets: validTargets,
                checkpointDirectory: checkpoint ?? out + "/checkpoint", resume: resume
            ) { printError($0) }
        } catch let error as TrainingError {
            throw CommandFailure(error.description)
        }
        let storedType = SafetensorsDType.allCases.first { $0.rawValue.lowercased() == dtype }!
        var arguments = CommandLine.arguments
        arguments[0] = "stmd"
        let command = shellQuoted(arguments)
        try TranslatorBundle.write(
            configuration: configuration, subwords: result.subwords, parameters: result.parameters, to: out, dtype: storedType
        ) { bytes in
            TranslatorModelCard.render(
                configuration: configuration, subwordCount: result.subwords.count, parameterCount: result.parameters.scalarCount,
                weightBytes: bytes, dtype: storedType.rawValue, command: command, trainingPairs: result.trainingPairs,
                bestEpoch: result.bestEpoch, validationBLEU: result.bestBLEU, bleuLines: bleuLines, seconds: result.seconds,
                threads: threads)
        }
        printError("best epoch \(result.bestEpoch): greedy validation BLEU \(fixed(result.bestBLEU, 2)); \(fixed(result.seconds, 1)) s")
        print("model: \(out)")
    }
}
