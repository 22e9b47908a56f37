import STMModels
import STMTensor
import STMText
import Foundation

/// The training loop for one cell type (reached through `CellVisitor` from the configuration's `cell`).
struct TrainingRun: CellVisitor {
    let configuration: ClassifierConfiguration
    let options: TrainingOptions
    let featurizer: TextFeaturizer
    let trainSet: EncodedSet
    let validSet: EncodedSet
    let embeddings: WordVectors?
    let embeddingsPath: String?
    let report: (TrainingEvent) -> Void
    /// This run's index in an ensemble (0 for a single model); its seed is `options.seed + member`.
    let member: Int

    /// Fixed shards per batch (computed in parallel when the pool has threads; summed in this order).
    static let shards = 2

    func visit<Cell: RecurrentCell>(_ makeCell: @escaping @Sendable (Int, Int) -> Cell) throws -> MemberResult {
        let model = configuration.makeModel(featurizer: featurizer, makeCell)
        var generator = SplitMix64(seed: options.seed)
        var parameters = model.makeParameters(using: &generator)
        var coverage: Double?
        if let embeddings {
            let found = Self.initialise(&parameters.embedding.weight, from: embeddings, vocabulary: featurizer.vocabulary)
            coverage = Double(found) / Double(max(1, featurizer.vocabulary.count - 2))
            report(.embeddings(found: found, vocabulary: featurizer.vocabulary.count - 2, path: embeddingsPath ?? "?"))
        }
        var trainer = Trainer(
            parameters: parameters,
            optimizer: .adamW(for: parameters, learningRate: options.learningRate, weightDecay: options.weightDecay),
            seed: options.seed, maxGradientNorm: options.maxGradientNorm)
        let batchesPerEpoch = (trainSet.count + options.batchSize - 1) / options.batchSize
        report(.started(
            trainingExamples: trainSet.count, validationExamples: validSet.count, vocabulary: featurizer.vocabulary.count,
            parameters: parameters.scalarCount, batchesPerEpoch: batchesPerEpoch))

        var best = BestEpoch(parameters: parameters)
        let checkpoint = options.checkpointDirectory.map { CheckpointFiles(directory: $0) }
        if let checkpoint, options.resume {
            try checkpoint.restore(into: &trainer, best: &best, vocabulary: featurizer.vocabulary, configuration: configuration)
            report(.resumed(epoch: trainer.epoch))
        }
        let totalSteps = batchesPerEpoch * options.epochs
        let clock = ContinuousClock()
        let started = clock.now
        var tokensSeen = 0
        let secondsBefore = best.seconds

        while trainer.epoch < options.epochs && best.epochsWithoutImprovement < options.patience {
            let epochStarted = clock.now
            let batches = Self.batches(
                count: trainSet.count, tokenCounts: trainSet.tokenCounts, batchSize: options.batchSize,
                seed: options.seed, epoch: trainer.epoch)
            var lossSum = 0.0, lossCount = 0
            for batchIndex in trainer.batchInEpoch..<batches.count {
                trainer.optimizer.learningRate = learningRate(atStep: trainer.step, totalSteps: totalSteps)
                let batch = batches[batchIndex]
                let (loss, _) = trainer.train { parameters, stepGenerator in
                    Self.shardedGradients(model: model, batch: batch, set: trainSet, parameters: parameters, generator: &stepGenerator)
                }
                lossSum += Double(loss) * Double(batch.count)
                lossCount += batch.count
                tokensSeen += batch.reduce(0) { $0 + trainSet.tokenCounts[$1] }
                let elapsed = secondsBefore + Self.seconds(clock.now - started)
                let done = trainer.step
                report(.step(TrainingStep(
                    epoch: trainer.epoch + 1, epochs: options.epochs, batch: batchIndex + 1, batches: batches.count,
                    loss: lossSum / Double(max(1, lossCount)),
                    tokensPerSecond: Double(tokensSeen) / max(1e-9, Self.seconds(clock.now - started)),
                    elapsedSeconds: elapsed,
                    remainingSeconds: done > 0 ? elapsed / Double(done) * Double(max(0, totalSteps - done)) : 0)))
            }
            trainer.finishEpoch()
            let (metrics, validLoss, _) = Self.evaluate(model: model, parameters: trainer.parameters, set: validSet, labels: configuration.labels)
            let improved = best.consider(
                epoch: trainer.epoch, accuracy: metrics.accuracy, loss: validLoss, parameters: trainer.parameters, metrics: metrics)
            best.seconds = secondsBefore + Self.seconds(clock.now - started)
            report(.epochFinished(
                epoch: trainer.epoch, trainingLoss: lossSum / Double(max(1, lossCount)), validation: metrics.summary,
                validationLoss: validLoss, improved: improved, seconds: Self.seconds(clock.now - epochStarted)))
            if let checkpoint {
                try checkpoint.save(trainer: trainer, best: best, vocabulary: featurizer.vocabulary, configuration: configuration)
            }
        }
        if best.epochsWithoutImprovement >= options.patience {
            report(.stoppedEarly(epoch: trainer.epoch, bestEpoch: best.epoch))
        }
        let evaluation = Self.evaluate(model: model, parameters: best.parameters, set: validSet, labels: configuration.labels)
        return MemberResult(
            tensors: Dictionary(uniqueKeysWithValues: best.parameters.namedTensors.map { ($0.key, $0.tensor) }),
            validationProbabilities: evaluation.probabilities, epochs: trainer.epoch, bestEpoch: best.epoch,
            seconds: best.seconds, embeddingsCoverage: coverage)
    }

    /// Linear warm-up to the peak, then linear decay to `finalLearningRateFraction` of it at the last step.
    func learningRate(atStep step: Int, totalSteps: Int) -> Float {
        let peak = options.learningRate
        let warmup = min(options.warmupSteps, max(1, totalSteps / 10))
        if step < warmup { return peak * Float(step + 1) / Float(warmup) }
        let progress = Float(step - warmup) / Float(max(1, totalSteps - warmup))
        return peak * (1 - (1 - options.finalLearningRateFraction) * min(1, progress))
    }

    /// Batches for `epoch`: a seeded shuffle, cut into windows of 50 batches sorted by length (so a batch
    /// pads little), and the batches themselves shuffled again.
    static func batches(count: Int, tokenCounts: [Int], batchSize: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        var generator = SplitMix64(seed: seed ^ (0xA076_1D64_78BD_642F &* UInt64(epoch + 1)))
        var order = Array(0..<count)
        shuffle(&order, using: &generator)
        let window = batchSize * 50
        var batches: [[Int]] = []
        for start in stride(from: 0, to: count, by: window) {
            let sorted = order[start..<min(start + window, count)].sorted {
                tokenCounts[$0] != tokenCounts[$1] ? tokenCounts[$0] < tokenCounts[$1] : $0 < $1
            }
            for batchStart in stride(from: 0, to: sorted.count, by: batchSize) {
                batches.append(Array(sorted[batchStart..<min(batchStart + batchSize, sorted.count)]))
            }
        }
        shuffle(&batches, using: &generator)
        return batches
    }

    static func shuffle<Element>(_ items: inout [Element], using generator: inout SplitMix64) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
    }

    /// Loss and gradients of a batch as `shards` fixed parts run on the kernel pool, combined in order.
    static func shardedGradients<Cell: RecurrentCell>(
        model: TextClassifierModel<Cell>, batch: [Int], set: EncodedSet, parameters: TextClassifierModel<Cell>.Parameters,
        generator: inout SplitMix64
    ) -> (loss: Float, gradients: TextClassifierModel<Cell>.Parameters) {
        ShardedGradients.compute(batchSize: batch.count, shards: shards, generator: &generator) { range, shardGenerator in
            let piece = batch[range]
            return model.lossAndGradients(
                piece.map { set.features[$0] }, labels: piece.map { set.labels[$0] }, parameters: parameters,
                training: true, using: &shardGenerator)
        }
    }

    /// Accuracy metrics and mean loss on `set`, in length-sorted batches of 64 without dropout.
    static func evaluate<Cell: RecurrentCell>(
        model: TextClassifierModel<Cell>, parameters: TextClassifierModel<Cell>.Parameters, set: EncodedSet, labels: [String]
    ) -> (metrics: ClassificationMetrics, loss: Double, probabilities: [[Float]]) {
        let order = set.labels.indices.sorted { set.tokenCounts[$0] < set.tokenCounts[$1] }
        var predictions = [Int](repeating: 0, count: set.count)
        var all = [[Float]](repeating: [], count: set.count)
        var lossSum = 0.0
        var unused = SplitMix64(seed: 0)
        for start in stride(from: 0, to: order.count, by: 64) {
            let batch = Array(order[start..<min(start + 64, order.count)])
            let logits = model.forward(batch.map { set.features[$0] }, parameters: parameters, using: &unused).logits
            let probabilities = logits.softmax()
            for (row, index) in batch.enumerated() {
                var bestClass = 0
                for c in 0..<model.classCount where probabilities[row, c] > probabilities[row, bestClass] { bestClass = c }
                predictions[index] = bestClass
                all[index] = (0..<model.classCount).map { probabilities[row, $0] }
                lossSum -= Double(log(max(probabilities[row, set.labels[index]], 1e-12)))
            }
        }
        return (
            ClassificationMetrics(labels: labels, truths: set.labels, predictions: predictions), lossSum / Double(max(1, set.count)), all
        )
    }

    /// Copies pretrained vectors into the word rows they cover; returns how many words were found.
    static func initialise(_ table: inout Tensor, from vectors: WordVectors, vocabulary: Vocabulary) -> Int {
        let dimension = table.columnCount
        var found = 0
        for id in 2..<vocabulary.count {
            guard let token = vocabulary.token(for: id), let vector = vectors.vector(for: token) else { continue }
            found += 1
            for (d, value) in vector.enumerated() { table[id, d] = value }
        }
        _ = dimension
        return found
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// One trained member: its best weights and what they predict on the validation set.
struct MemberResult {
    var tensors: [String: Tensor]
    var validationProbabilities: [[Float]]
    var epochs: Int
    var bestEpoch: Int
    var seconds: Double
    var embeddingsCoverage: Double?
}

/// The best epoch so far, for early stopping.
struct BestEpoch<Parameters: ParameterGroup> {
    var parameters: Parameters
    var epoch = 0
    var accuracy = -1.0
    var loss = Double.infinity
    var metrics: ClassificationMetrics?
    var epochsWithoutImprovement = 0
    /// Training seconds spent so far (carried across resumes).
    var seconds = 0.0

    /// Better means higher accuracy, or equal accuracy with lower loss.
    mutating func consider(epoch: Int, accuracy: Double, loss: Double, parameters: Parameters, metrics: ClassificationMetrics) -> Bool {
        if accuracy > self.accuracy || (accuracy == self.accuracy && loss < self.loss) {
            self.parameters = parameters
            self.epoch = epoch
            self.accuracy = accuracy
            self.loss = loss
            self.metrics = metrics
            epochsWithoutImprovement = 0
            return true
        }
        epochsWithoutImprovement += 1
        return false
    }
}
