public import STMTensor

/// The training loop's state, kept free of any model knowledge (minGPT's `Trainer`): parameters, the
/// optimizer, clipping, and the randomness, arranged so a run is a pure function of its seed.
///
/// Every random choice derives from `(seed, epoch)` or `(seed, step)` rather than from a generator that
/// advances through the run: the example order of epoch `e` and the dropout masks of step `s` are the same
/// whether the run went straight through or was stopped and resumed from a checkpoint in between. With the
/// same seed, data and thread count, the weights come out equal bit for bit.
public struct Trainer<Parameters: ParameterGroup>: Sendable {
    public let seed: UInt64
    public var parameters: Parameters
    public var optimizer: AdamOptimizer<Parameters>
    /// Clip the global gradient norm to this value before each update (nil: no clipping).
    public var maxGradientNorm: Float?
    /// Completed epochs; the caller advances it at the end of each pass over the data.
    public var epoch: Int
    /// Batches already taken in the current epoch, so a resumed run continues mid-epoch.
    public var batchInEpoch: Int

    public init(
        parameters: Parameters, optimizer: AdamOptimizer<Parameters>, seed: UInt64, maxGradientNorm: Float? = 5
    ) {
        self.seed = seed
        self.parameters = parameters
        self.optimizer = optimizer
        self.maxGradientNorm = maxGradientNorm
        self.epoch = 0
        self.batchInEpoch = 0
    }

    /// Updates applied so far.
    public var step: Int { optimizer.step }

    /// The example order for `epoch`: a Fisher–Yates shuffle driven by a generator seeded from (seed, epoch).
    public func exampleOrder(count: Int, epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed ^ (0xA076_1D64_78BD_642F &* UInt64(epoch + 1)))
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }

    /// Batches of example indices for the current epoch, from `batchInEpoch` on.
    public func remainingBatches(exampleCount: Int, batchSize: Int) -> [[Int]] {
        let order = exampleOrder(count: exampleCount, epoch: epoch)
        return stride(from: batchInEpoch * batchSize, to: order.count, by: batchSize).map {
            Array(order[$0..<min($0 + batchSize, order.count)])
        }
    }

    /// The generator for dropout and other noise at the coming step.
    public func stepGenerator() -> SplitMix64 {
        SplitMix64(seed: seed ^ (0xE703_7ED1_A0B4_28DB &* UInt64(step + 1)))
    }

    /// Runs one update: `body` returns the loss and gradients for the current parameters, given this step's
    /// generator. Returns the loss and the gradient norm before clipping.
    @discardableResult
    public mutating func train(
        _ body: (Parameters, inout SplitMix64) throws -> (loss: Float, gradients: Parameters)
    ) rethrows -> (loss: Float, gradientNorm: Float) {
        var generator = stepGenerator()
        var (loss, gradients) = try body(parameters, &generator)
        let norm: Float
        if let maxGradientNorm {
            norm = clipByGlobalNorm(&gradients, maxNorm: maxGradientNorm)
        } else {
            norm = Float(gradients.globalNorm)
        }
        optimizer.update(&parameters, gradients: gradients)
        batchInEpoch += 1
        return (loss, norm)
    }

    /// Marks the end of a pass over the data.
    public mutating func finishEpoch() {
        epoch += 1
        batchInEpoch = 0
    }
}
