import STMModels
import STMTensor
import Testing

/// Data-parallel training steps: shards combined by size give the whole batch's loss and gradients, and the
/// same bits whether the shards run on one thread or two.
struct ShardedGradientsTests {
    @Test(arguments: CellCase.allCases)
    func shardsCombineToTheWholeBatch(_ kind: CellCase) {
        let outcome = kind.with(inputSize: 6, hiddenSize: 12, ShardedStep(shards: 3))
        #expect(abs(outcome.wholeLoss - outcome.shardedLoss) < 1e-6, "\(kind): loss")
        #expect(outcome.maxGradientDifference < 1e-6, "\(kind): \(outcome.maxGradientDifference)")
        // The gradients are not all zero, so the comparison above means something.
        #expect(outcome.gradientNorm > 1e-3, "\(kind): gradient norm \(outcome.gradientNorm)")
    }

    /// Two and three shards (more shards than threads: every shard still runs), on one thread and on two.
    @Test(arguments: CellCase.allCases, [2, 3])
    func threadCountDoesNotChangeShardedGradients(_ kind: CellCase, shards: Int) {
        let previous = BLAS.threadCount
        defer { BLAS.threadCount = previous }
        BLAS.threadCount = 1
        let one = kind.with(inputSize: 6, hiddenSize: 12, ShardedStep(shards: shards))
        BLAS.threadCount = 2
        let two = kind.with(inputSize: 6, hiddenSize: 12, ShardedStep(shards: shards))
        #expect(one.shardedLoss == two.shardedLoss)
        #expect(one.sharded == two.sharded)
        #expect(two.maxGradientDifference < 1e-6)
    }

    @Test func combineWeighsEachGroupInOrder() {
        var a = Linear.Parameters(weight: Tensor(shape: [1, 2], scalars: [1, 2]), bias: Tensor([4]))
        let b = Linear.Parameters(weight: Tensor(shape: [1, 2], scalars: [10, 20]), bias: Tensor([40]))
        let c = Linear.Parameters(weight: Tensor(shape: [1, 2], scalars: [100, 200]), bias: Tensor([400]))
        a.combine(weight: 0.5, with: [b, c], weights: [0.25, 0.125])
        // 0.5·1 + 0.25·10 + 0.125·100, and so on: all exact in binary floating point.
        let expectedWeight: [Float] = [15.5, 31]
        let expectedBias: [Float] = [62]
        #expect(a.weight.scalars == expectedWeight)
        #expect(a.bias.scalars == expectedBias)
    }
}

/// One classifier step on a batch of seven padded sequences, as a whole and in shards.
private struct ShardedStep: CellCaseVisitor {
    let shards: Int

    struct Outcome {
        var wholeLoss: Float
        var shardedLoss: Float
        var sharded: [Tensor]
        var maxGradientDifference: Float
        var gradientNorm: Double
    }

    func visit<Cell: RecurrentCell>(_ cell: Cell) -> Outcome {
        let model = SequenceClassifier(
            vocabularySize: 40, embeddingSize: cell.inputSize, hiddenSize: cell.hiddenSize, classCount: 3,
            bidirectional: true, makeCell: { cell.resized(inputSize: $0, hiddenSize: $1) })
        var generator = SplitMix64(seed: 11)
        let parameters = model.makeParameters(using: &generator)
        let batch = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10], [11, 12, 13, 14, 15], [16, 17], [18, 19, 20]]
        let labels = [0, 1, 2, 0, 1, 2, 0]
        var unused = SplitMix64(seed: 0)
        let whole = model.lossAndGradients(batch, labels: labels, parameters: parameters, training: false, using: &unused)
        var stepGenerator = SplitMix64(seed: 5)
        let sharded = ShardedGradients.compute(batchSize: batch.count, shards: shards, generator: &stepGenerator) {
            range, shardGenerator in
            model.lossAndGradients(
                Array(batch[range]), labels: Array(labels[range]), parameters: parameters, training: false,
                using: &shardGenerator)
        }
        let wholeTensors = whole.gradients.namedTensors.map(\.tensor)
        let shardedTensors = sharded.gradients.namedTensors.map(\.tensor)
        let difference = zip(wholeTensors, shardedTensors).map { $0.maxAbsoluteDifference($1) }.max() ?? .infinity
        return Outcome(
            wholeLoss: whole.loss, shardedLoss: sharded.loss, sharded: shardedTensors, maxGradientDifference: difference,
            gradientNorm: whole.gradients.globalNorm)
    }
}
