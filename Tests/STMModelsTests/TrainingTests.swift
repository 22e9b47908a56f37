import Foundation
import STMModels
import STMTensor
import STMTesting
import Testing

struct TrainingTests {
    /// A tiny GRU classifier over a toy vocabulary: the model most training tests share.
    private func makeModel() -> SequenceClassifier<GRUCell> {
        SequenceClassifier(
            vocabularySize: 12, embeddingSize: 6, hiddenSize: 8, classCount: 3, bidirectional: true,
            pooling: .mean, dropout: 0.2, makeCell: { GRUCell(inputSize: $0, hiddenSize: $1) })
    }

    private let sequences: [[Int]] = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2, 2], [10, 11, 1], [3], [9, 8, 7], [5, 4, 6]]
    private let labels = [0, 1, 2, 0, 1, 2, 0, 1]

    /// Runs `epochs` full epochs of batch-3 training from a seed.
    private func train(
        _ trainer: inout Trainer<SequenceClassifier<GRUCell>.Parameters>, model: SequenceClassifier<GRUCell>,
        epochs: Int, stopAfterBatches: Int? = nil
    ) {
        var taken = 0
        for _ in 0..<epochs {
            for batch in trainer.remainingBatches(exampleCount: sequences.count, batchSize: 3) {
                if let stop = stopAfterBatches, taken == stop { return }
                let x = batch.map { sequences[$0] }, y = batch.map { labels[$0] }
                trainer.train { parameters, generator in
                    model.lossAndGradients(x, labels: y, parameters: parameters, using: &generator)
                }
                taken += 1
            }
            trainer.finishEpoch()
        }
    }

    private func makeTrainer(seed: UInt64, model: SequenceClassifier<GRUCell>) -> Trainer<SequenceClassifier<GRUCell>.Parameters> {
        var generator = SplitMix64(seed: seed)
        let parameters = model.makeParameters(using: &generator)
        return Trainer(parameters: parameters, optimizer: .adamW(for: parameters, learningRate: 0.02), seed: seed)
    }

    @Test(arguments: CellCase.allCases)
    func tinyCorpusIsOverfit(_ kind: CellCase) {
        let final = kind.with(inputSize: 4, hiddenSize: 8, OverfitRun())
        #expect(final < 0.02, "\(kind): loss \(final) after 150 steps")
    }

    @Test func sameSeedGivesBitIdenticalWeights() {
        let model = makeModel()
        var first = makeTrainer(seed: 3, model: model)
        var second = makeTrainer(seed: 3, model: model)
        var other = makeTrainer(seed: 4, model: model)
        train(&first, model: model, epochs: 3)
        train(&second, model: model, epochs: 3)
        train(&other, model: model, epochs: 3)
        #expect(first.parameters.namedTensors.map(\.tensor) == second.parameters.namedTensors.map(\.tensor))
        #expect(first.parameters.namedTensors.map(\.tensor) != other.parameters.namedTensors.map(\.tensor))
        #expect(first.step == 9)
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        let model = makeModel()
        var straight = makeTrainer(seed: 5, model: model)
        train(&straight, model: model, epochs: 3)

        let folder = try TemporaryDirectory()
        let path = folder.path + "/run.ckpt.safetensors"
        var interrupted = makeTrainer(seed: 5, model: model)
        train(&interrupted, model: model, epochs: 2, stopAfterBatches: 4)  // stops mid-way through epoch 2
        #expect(interrupted.epoch == 1 && interrupted.batchInEpoch == 1)
        try interrupted.saveCheckpoint(to: path, metadata: ["model": "toy"])

        // A fresh process would start from other random weights: resume must replace all of it.
        var resumed = makeTrainer(seed: 5, model: model)
        var other = SplitMix64(seed: 99)
        resumed.parameters = model.makeParameters(using: &other)
        let metadata = try resumed.resume(fromCheckpoint: path)
        #expect(metadata == ["model": "toy"])
        #expect(resumed.step == 4 && resumed.epoch == 1 && resumed.batchInEpoch == 1)
        train(&resumed, model: model, epochs: 2)
        #expect(resumed.step == straight.step)
        #expect(resumed.parameters.namedTensors.map(\.tensor) == straight.parameters.namedTensors.map(\.tensor))
    }

    @Test func checkpointFromAnotherSeedOrShapeIsRefused() throws {
        let model = makeModel()
        let folder = try TemporaryDirectory()
        let path = folder.path + "/run.ckpt.safetensors"
        try makeTrainer(seed: 5, model: model).saveCheckpoint(to: path)
        var otherSeed = makeTrainer(seed: 6, model: model)
        #expect(throws: CheckpointError.self) { try otherSeed.resume(fromCheckpoint: path) }

        let wider = SequenceClassifier(
            vocabularySize: 12, embeddingSize: 6, hiddenSize: 9, classCount: 3, bidirectional: true,
            pooling: .mean, makeCell: { GRUCell(inputSize: $0, hiddenSize: $1) })
        var generator = SplitMix64(seed: 5)
        let parameters = wider.makeParameters(using: &generator)
        var mismatched = Trainer(parameters: parameters, optimizer: .adamW(for: parameters), seed: 5)
        do {
            try mismatched.resume(fromCheckpoint: path)
            Issue.record("a checkpoint of another shape was accepted")
        } catch {
            #expect("\(error)".contains("encoder.0.forward.wx"), "\(error)")
            #expect("\(error)".contains(path))
        }
    }

    @Test(arguments: Pooling.allCases)
    func classifierMatchesFiniteDifferences(_ pooling: Pooling) {
        let model = SequenceClassifier(
            vocabularySize: 7, embeddingSize: 3, hiddenSize: 3, classCount: 3, layers: 2, bidirectional: true,
            pooling: pooling, makeCell: { LSTMCell(inputSize: $0, hiddenSize: $1) })
        var generator = SplitMix64(seed: 9)
        let parameters = model.makeParameters(using: &generator)
        let batch = [[1, 2, 3, 4], [5], [6, 2, 1]]
        let labels = [2, 0, 1]
        let analytic = model.lossAndGradients(batch, labels: labels, parameters: parameters, training: false, using: &generator)
        let numeric = GradientCheck.numericGradient(
            of: { parameters in
                var unused = SplitMix64(seed: 0)
                return Double(
                    model.lossAndGradients(batch, labels: labels, parameters: parameters, training: false, using: &unused).loss)
            },
            at: parameters)
        let failures = GradientCheck.mismatches(analytic: analytic.gradients, numeric: numeric, label: "\(pooling)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func clippingBoundsTheGlobalNorm() {
        var gradients = Linear.Parameters(weight: Tensor(shape: [1, 2], scalars: [3, 4]), bias: Tensor([0]))
        let before = clipByGlobalNorm(&gradients, maxNorm: 1)
        #expect(before == 5)
        #expect(abs(gradients.globalNorm - 1) < 1e-5)
        var small = Linear.Parameters(weight: Tensor(shape: [1, 2], scalars: [0.3, 0.4]), bias: Tensor([0]))
        clipByGlobalNorm(&small, maxNorm: 1)
        #expect(small.weight.scalars == [0.3, 0.4])
    }

    @Test func adamWDecaysWeightsAndAdamDoesNotWithoutGradient() {
        let start = Linear.Parameters(weight: Tensor(shape: [1, 1], scalars: [1]), bias: Tensor([1]))
        let zero = start.zeros()
        var decayed = start
        var adamW = AdamOptimizer.adamW(for: start, learningRate: 0.1, weightDecay: 0.5)
        adamW.update(&decayed, gradients: zero)
        #expect(abs(decayed.weight[flat: 0] - 0.95) < 1e-6)  // θ − lr·λ·θ
        var plain = start
        var adam = AdamOptimizer(for: start, learningRate: 0.1)
        adam.update(&plain, gradients: zero)
        #expect(plain.weight[flat: 0] == 1)
        // First Adam step moves each weight by ≈ lr against the gradient's sign (bias-corrected moments).
        var stepped = start
        var fresh = AdamOptimizer(for: start, learningRate: 0.1)
        fresh.update(&stepped, gradients: Linear.Parameters(weight: Tensor(shape: [1, 1], scalars: [-3]), bias: Tensor([2])))
        #expect(abs(stepped.weight[flat: 0] - 1.1) < 1e-5)
        #expect(abs(stepped.bias[flat: 0] - 0.9) < 1e-5)
    }
}

/// Trains a one-layer classifier on two sentences for 150 steps; returns the final loss.
private struct OverfitRun: CellCaseVisitor {
    func visit<Cell: RecurrentCell>(_ prototype: Cell) -> Float {
        let model = SequenceClassifier(
            vocabularySize: 6, embeddingSize: prototype.inputSize, hiddenSize: prototype.hiddenSize, classCount: 2,
            makeCell: { prototype.resized(inputSize: $0, hiddenSize: $1) })
        let corpus = [[1, 2, 3, 4], [1, 2, 3, 5]]  // "the movie was great" / "the movie was awful"
        let labels = [1, 0]
        var generator = SplitMix64(seed: 17)
        let parameters = model.makeParameters(using: &generator)
        var trainer = Trainer(parameters: parameters, optimizer: AdamOptimizer(for: parameters, learningRate: 0.05), seed: 17)
        var loss: Float = .infinity
        for _ in 0..<150 {
            loss = trainer.train { parameters, generator in
                model.lossAndGradients(corpus, labels: labels, parameters: parameters, using: &generator)
            }.loss
        }
        return loss
    }
}
