import STMModels
import STMTensor

/// How `NextKeyTraining` runs: Adam over shuffled batches of windows for a number of epochs.
public struct NextKeyTrainingOptions: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64

    public init(epochs: Int = 20, batchSize: Int = 64, learningRate: Float = 3e-3, seed: UInt64 = 1) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }
}

/// The offline training loop of the next-key model, on the project's `Trainer` (seeded, reproducible).
public enum NextKeyTraining {
    /// Trains `parameters` on `windows`; `progress` gets each finished epoch and its mean loss.
    public static func train(
        _ model: NextKeyModel, parameters: NextKeyModel.Parameters, windows: [NextKeyModel.Window],
        options: NextKeyTrainingOptions, progress: (_ epoch: Int, _ loss: Float) -> Void = { _, _ in }
    ) -> NextKeyModel.Parameters {
        guard !windows.isEmpty else { return parameters }
        var trainer = Trainer(
            parameters: parameters, optimizer: AdamOptimizer(for: parameters, learningRate: options.learningRate),
            seed: options.seed)
        for epoch in 0..<options.epochs {
            var total: Float = 0
            let batches = trainer.remainingBatches(exampleCount: windows.count, batchSize: options.batchSize)
            for batch in batches {
                let (loss, _) = trainer.train { current, _ in
                    model.lossAndGradients(batch.map { windows[$0] }, parameters: current)
                }
                total += loss
            }
            trainer.finishEpoch()
            progress(epoch + 1, total / Float(max(batches.count, 1)))
        }
        return trainer.parameters
    }
}
