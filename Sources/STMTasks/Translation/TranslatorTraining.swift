public import STMModels
public import STMText
import STMTensor
import Foundation

/// Trains an attention translator from aligned line files, resumably.
///
/// The subword vocabulary is learned from both sides of the training data (one table for both languages).
/// Each epoch's batches come from the trainer's seeded example order, cut into pools of 50 batches whose
/// sentences are sorted by length (little padding), the batches then shuffled with a seeded generator: the
/// order is a function of (seed, epoch), so a resumed run takes exactly the batches the stopped one would have.
/// A checkpoint (`checkpoint/trainer.safetensors`, `best.safetensors`, `state.json`) is written every
/// `checkpointEvery` steps and after each epoch's validation.
public struct TranslatorTraining {
    public struct Options: Sendable {
        public var epochs = 20
        public var batchSize = 64
        public var learningRate: Float = 1e-3
        public var seed: UInt64 = 1
        public var merges = 8000
        /// Training pairs with more subword tokens on either side are left out.
        public var maximumTrainingTokens = 60
        public var checkpointEvery = 200
        /// Validation BLEU (greedy) is measured on this many validation lines after each epoch (loss on all).
        public var validationBLEULines = 300
        public var patience = 4
        /// The learning rate is multiplied by this after an epoch without a better validation BLEU (1: never).
        public var plateauDecay: Float = 0.5
        public init() {}
    }

    public struct Result: Sendable {
        public let subwords: BytePairEncoding
        public let parameters: AttentionTranslatorModel.Parameters
        public let bestEpoch: Int
        public let bestBLEU: Double
        public let trainingPairs: Int
        public let seconds: Double
    }

    struct State: Codable {
        var configuration: TranslatorConfiguration
        var subwords: BytePairEncoding
        var dataFingerprint: String
        var bestEpoch: Int
        var bestBLEU: Double
        var epochsWithoutImprovement: Int
        var seconds: Double
        var history: [String]
    }

    public let configuration: TranslatorConfiguration
    public let options: Options

    public init(configuration: TranslatorConfiguration, options: Options) {
        self.configuration = configuration
        self.options = options
    }

    /// Line counts and an FNV-1a hash of the training text: a resumed run must see the same data.
    static func fingerprint(_ sources: [String], _ targets: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for line in sources + targets {
            for byte in line.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 10) &* 0x100_0000_01b3
        }
        return "\(sources.count)/\(targets.count)/\(String(hash, radix: 16))"
    }

    /// Runs (or, with `resume`, continues) training; `log` receives progress lines.
    public func run(
        sources: [String], targets: [String], validationSources: [String], validationTargets: [String],
        checkpointDirectory: String, resume: Bool, log: (String) -> Void
    ) throws -> Result {
        precondition(sources.count == targets.count && validationSources.count == validationTargets.count)
        let statePath = checkpointDirectory + "/state.json", trainerPath = checkpointDirectory + "/trainer.safetensors"
        let bestPath = checkpointDirectory + "/best.safetensors"
        let fingerprint = Self.fingerprint(sources, targets)
        var state: State
        if resume {
            guard let data = FileManager.default.contents(atPath: statePath), FileManager.default.fileExists(atPath: trainerPath) else {
                throw TrainingError.checkpoint("--resume: no checkpoint in \(checkpointDirectory)")
            }
            do { state = try JSONDecoder().decode(State.self, from: data) } catch {
                throw TrainingError.checkpoint("\(statePath): unreadable (\(error))")
            }
            guard state.configuration == configuration else {
                throw TrainingError.checkpoint("--resume: the model settings differ from the checkpoint's in \(checkpointDirectory)")
            }
            guard state.dataFingerprint == fingerprint else {
                throw TrainingError.checkpoint("--resume: the training data differs from the checkpoint's")
            }
        } else {
            let start = Date()
            let subwords = BytePairEncoding.learn(from: sources + targets, mergeCount: options.merges)
            log("subwords: \(subwords.count) tokens (\(subwords.merges.count) merges) in \(Int(Date().timeIntervalSince(start))) s")
            state = State(
                configuration: configuration, subwords: subwords, dataFingerprint: fingerprint, bestEpoch: 0, bestBLEU: -1,
                epochsWithoutImprovement: 0, seconds: 0, history: [])
        }
        let subwords = state.subwords
        let pairs = zip(sources, targets).map { (subwords.encode($0), subwords.encode($1)) }.filter {
            !$0.0.isEmpty && $0.0.count <= options.maximumTrainingTokens && $0.1.count <= options.maximumTrainingTokens
        }
        let validation = zip(validationSources, validationTargets).map { (subwords.encode($0), subwords.encode($1)) }
            .filter { !$0.0.isEmpty }
        log("training pairs: \(pairs.count) of \(sources.count); validation: \(validation.count)")
        let model = configuration.makeModel(vocabularySize: subwords.count)
        var generator = SplitMix64(seed: options.seed)
        var initial = model.makeParameters(using: &generator)
        var counts = [Float](repeating: 0, count: subwords.count)
        for (_, target) in pairs {
            for id in target { counts[id] += 1 }
            counts[BytePairEncoding.endID] += 1
        }
        initial.outputBias = AttentionTranslatorModel.unigramBias(counts: counts)
        var trainer = Trainer(
            parameters: initial, optimizer: AdamOptimizer(for: initial, learningRate: options.learningRate), seed: options.seed)
        var best = initial
        if resume {
            try trainer.resume(fromCheckpoint: trainerPath)
            try best.load(safetensorsFrom: bestPath)
            log("resumed at epoch \(trainer.epoch + 1), batch \(trainer.batchInEpoch), step \(trainer.step)")
        }
        func save() throws {
            try FileManager.default.createDirectory(atPath: checkpointDirectory, withIntermediateDirectories: true)
            try best.write(safetensorsTo: bestPath)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
            try trainer.saveCheckpoint(to: trainerPath)  // last: its presence marks a complete checkpoint
        }
        var clock = Date()
        while trainer.epoch < options.epochs && state.epochsWithoutImprovement < options.patience {
            let batches = epochBatches(pairs: pairs, trainer: trainer)
            var lossSum = 0.0, tokenSum = 0
            for batch in batches.dropFirst(trainer.batchInEpoch) {
                var tokens = 0
                let (loss, _) = trainer.train { parameters, generator in
                    let result = model.lossAndGradients(
                        sources: batch.map { pairs[$0].0 }, targets: batch.map { pairs[$0].1 }, startID: BytePairEncoding.startID,
                        endID: BytePairEncoding.endID, parameters: parameters, using: &generator)
                    tokens = result.tokens
                    return (result.loss, result.gradients)
                }
                lossSum += Double(loss) * Double(tokens)
                tokenSum += tokens
                if trainer.step % options.checkpointEvery == 0 {
                    state.seconds += Date().timeIntervalSince(clock)
                    clock = Date()
                    log(
                        "epoch \(trainer.epoch + 1) batch \(trainer.batchInEpoch)/\(batches.count) step \(trainer.step): "
                            + "loss \(String(format: "%.3f", lossSum / Double(max(tokenSum, 1)))), \(Int(state.seconds)) s")
                    try save()
                }
            }
            trainer.finishEpoch()
            let (validationLoss, bleu) = evaluate(model: model, parameters: trainer.parameters, subwords: subwords, validation: validation)
            state.seconds += Date().timeIntervalSince(clock)
            clock = Date()
            let line =
                "epoch \(trainer.epoch): train loss \(String(format: "%.3f", lossSum / Double(max(tokenSum, 1)))), "
                + "validation loss \(String(format: "%.3f", validationLoss)), greedy BLEU (first \(options.validationBLEULines)) "
                + "\(String(format: "%.2f", bleu)), \(Int(state.seconds)) s"
            log(line)
            state.history.append(line)
            if bleu > state.bestBLEU {
                state.bestBLEU = bleu
                state.bestEpoch = trainer.epoch
                state.epochsWithoutImprovement = 0
                best = trainer.parameters
            } else {
                state.epochsWithoutImprovement += 1
                trainer.optimizer.learningRate *= options.plateauDecay
                log("no better validation BLEU: learning rate now \(trainer.optimizer.learningRate)")
            }
            try save()
        }
        return Result(
            subwords: subwords, parameters: best, bestEpoch: state.bestEpoch, bestBLEU: state.bestBLEU, trainingPairs: pairs.count,
            seconds: state.seconds)
    }

    /// The epoch's batches: seeded order, length-sorted pools, seeded batch shuffle.
    func epochBatches(pairs: [([Int], [Int])], trainer: Trainer<AttentionTranslatorModel.Parameters>) -> [[Int]] {
        let order = trainer.exampleOrder(count: pairs.count, epoch: trainer.epoch)
        let pool = options.batchSize * 50
        var batches: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: pool) {
            let members = order[start..<min(start + pool, order.count)].sorted {
                (pairs[$0].0.count, pairs[$0].1.count, $0) < (pairs[$1].0.count, pairs[$1].1.count, $1)
            }
            for first in stride(from: 0, to: members.count, by: options.batchSize) {
                batches.append(Array(members[first..<min(first + options.batchSize, members.count)]))
            }
        }
        var generator = SplitMix64(seed: options.seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(trainer.epoch + 1)))
        if batches.count > 1 {
            for i in stride(from: batches.count - 1, to: 0, by: -1) { batches.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        }
        return batches
    }

    /// Teacher-forced loss per token over all validation pairs and greedy BLEU over the first lines.
    func evaluate(
        model: AttentionTranslatorModel, parameters: AttentionTranslatorModel.Parameters, subwords: BytePairEncoding,
        validation: [([Int], [Int])]
    ) -> (loss: Double, bleu: Double) {
        var generator = SplitMix64(seed: 0)
        var lossSum = 0.0, tokens = 0
        for start in stride(from: 0, to: validation.count, by: 64) {
            let batch = validation[start..<min(start + 64, validation.count)]
            let result = model.lossAndGradients(
                sources: batch.map(\.0), targets: batch.map(\.1), startID: BytePairEncoding.startID, endID: BytePairEncoding.endID,
                parameters: parameters, training: false, using: &generator)
            lossSum += Double(result.loss) * Double(result.tokens)
            tokens += result.tokens
        }
        var bleu = CorpusBLEU()
        for (source, target) in validation.prefix(options.validationBLEULines) {
            let output = model.translate(
                source, startID: BytePairEncoding.startID, endID: BytePairEncoding.endID, parameters: parameters, beamWidth: 1)
            bleu.add(hypothesis: subwords.decode(output), reference: subwords.decode(target))
        }
        return (lossSum / Double(max(tokens, 1)), bleu.score)
    }
}
