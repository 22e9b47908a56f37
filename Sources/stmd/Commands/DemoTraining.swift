import STMModels
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

struct DemoResult {
    let kind: CellKind
    let firstLoss: Float
    let lastLoss: Float
    let accuracy: Float
    let reloadMatches: Bool
    let seconds: Float
}

/// One model's training run for the demo: fixed small sizes, AdamW, clipping, early stop on a perfect
/// validation score, then a save/load round trip of the weights.
struct DemoTraining {
    let corpus: ToySentimentCorpus
    let seed: UInt64
    let epochs: Int
    let folder: String

    func run<Cell: RecurrentCell>(
        kind: CellKind, makeCell: @escaping (Int, Int) -> Cell
    ) throws -> DemoResult {
        let started = monotonicSeconds()
        let configuration = SequenceClassifierConfiguration(
            cell: kind, vocabularySize: corpus.vocabulary.count, embeddingSize: 16, hiddenSize: 24, classCount: 2)
        let model = configuration.makeModel(makeCell)
        var generator = SplitMix64(seed: seed)
        let initial = model.makeParameters(using: &generator)
        var trainer = Trainer(
            parameters: initial, optimizer: .adamW(for: initial, learningRate: 0.01, weightDecay: 0.0), seed: seed)
        var epochLosses: [Float] = []
        for _ in 0..<epochs {
            var total: Float = 0
            let batches = trainer.remainingBatches(exampleCount: corpus.training.count, batchSize: 16)
            for batch in batches {
                let sequences = batch.map { corpus.training[$0].tokens }
                let labels = batch.map { corpus.training[$0].label }
                total += trainer.train { parameters, generator in
                    model.lossAndGradients(sequences, labels: labels, parameters: parameters, using: &generator)
                }.loss
            }
            trainer.finishEpoch()
            epochLosses.append(total / Float(batches.count))
        }
        let accuracy = evaluate(model, parameters: trainer.parameters)
        let directory = folder + "/demo-\(kind.rawValue)"
        try ModelDirectory.write(configuration: configuration, parameters: trainer.parameters, to: directory)
        let reloadedModel = try ModelDirectory.readConfiguration(from: directory).makeModel(makeCell)
        var reloaded = reloadedModel.makeParameters(using: &generator)
        try ModelDirectory.loadWeights(into: &reloaded, from: directory)
        let sample = corpus.validation.prefix(32).map(\.tokens)
        let reloadMatches = reloadedModel.probabilities(sample, parameters: reloaded)
            == model.probabilities(sample, parameters: trainer.parameters)
        return DemoResult(
            kind: kind, firstLoss: epochLosses.first ?? .nan, lastLoss: epochLosses.last ?? .nan,
            accuracy: accuracy, reloadMatches: reloadMatches, seconds: Float(monotonicSeconds() - started))
    }

    private func evaluate<Cell>(_ model: SequenceClassifier<Cell>, parameters: SequenceClassifier<Cell>.Parameters) -> Float {
        var correct = 0
        for start in stride(from: 0, to: corpus.validation.count, by: 64) {
            let slice = corpus.validation[start..<min(start + 64, corpus.validation.count)]
            let probabilities = model.probabilities(slice.map(\.tokens), parameters: parameters)
            for (row, example) in slice.enumerated() {
                let predicted = probabilities[row, 1] > probabilities[row, 0] ? 1 : 0
                if predicted == example.label { correct += 1 }
            }
        }
        return Float(correct) / Float(corpus.validation.count)
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
