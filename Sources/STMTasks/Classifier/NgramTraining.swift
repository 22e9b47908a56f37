#if canImport(Glibc)
import Glibc
#endif
import STMModels
public import STMTensor

/// Fits an `NgramClassifier`: document frequencies from the training texts, then L2-regularised multinomial
/// logistic regression by minibatch Adam with a linearly decaying step. Deterministic: the example order of
/// each epoch comes from the seed, and every sum runs in a fixed order.
public enum NgramTraining {
    /// Minibatch size and the step size at the start (decayed linearly to a twentieth by the last epoch):
    /// settings of the optimiser, chosen so the regularised training objective converges within
    /// `NgramSettings.epochs`, not tuned on any validation data.
    static let batchSize = 32
    static let learningRate: Float = 0.02

    /// - Parameters:
    ///   - documents: each training document's tokens (as the bundle's tokenizer gives them).
    ///   - labels: class indices in `0..<classes`.
    /// - Returns: the model and its final mean training loss (cross-entropy plus the L2 term).
    public static func train(
        documents: [[String]], labels: [Int], classes: Int, settings: NgramSettings, seed: UInt64
    ) -> (classifier: NgramClassifier, loss: Double) {
        precondition(documents.count == labels.count && !documents.isEmpty, "NgramTraining: \(documents.count) documents, \(labels.count) labels")
        let counter = NgramCounter(settings: settings)
        let counts = documents.map { counter.count(tokens: $0) }
        var documentFrequency = [Float](repeating: 0, count: settings.featureCount)
        for document in counts {
            for row in document.rows { documentFrequency[row] += 1 }
        }
        let n = Float(documents.count)
        let idf = Tensor(documentFrequency.map { logf((1 + n) / (1 + $0)) + 1 })
        let empty = NgramClassifier(
            settings: settings, inverseDocumentFrequency: idf, weight: .zeros([settings.featureCount, classes]),
            bias: .zeros([classes]))
        let features = counts.map { empty.features($0) }

        var parameters = NgramParameters(
            weight: .zeros([settings.featureCount, classes]), bias: .zeros([classes]))
        // sklearn's objective C·Σ loss + ½‖w‖² per example: mean loss + ‖w‖² / (2·C·n).
        let decay = 1 / (settings.inverseRegularization * n)
        var optimizer = AdamOptimizer(for: parameters, learningRate: learningRate, weightDecay: .coupled(decay))
        let batchesPerEpoch = (documents.count + batchSize - 1) / batchSize
        let totalSteps = settings.epochs * batchesPerEpoch
        var step = 0
        for epoch in 0..<settings.epochs {
            var generator = SplitMix64(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1)))
            var order = Array(documents.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let batch = order[start..<min(start + batchSize, order.count)]
                var gradients = NgramParameters(weight: .zeros(parameters.weight.shape), bias: .zeros([classes]))
                let scale = 1 / Float(batch.count)
                do {
                    // Released before the update, so the weights are updated in place rather than copied.
                    let model = NgramClassifier(
                        settings: settings, inverseDocumentFrequency: idf, weight: parameters.weight, bias: parameters.bias)
                    for index in batch {
                        var residual = model.probabilities(features[index])
                        residual[labels[index]] -= 1
                        accumulate(residual, scale: scale, features: features[index], into: &gradients)
                    }
                }
                let progress = Float(step) / Float(max(1, totalSteps - 1))
                optimizer.learningRate = learningRate * (1 - 0.95 * progress)
                optimizer.update(&parameters, gradients: gradients)
                step += 1
            }
        }
        let classifier = NgramClassifier(
            settings: settings, inverseDocumentFrequency: idf, weight: parameters.weight, bias: parameters.bias)
        var loss = 0.0
        for (index, document) in features.enumerated() {
            loss -= Double(logf(max(classifier.probabilities(document)[labels[index]], 1e-30)))
        }
        let squares = parameters.weight.sumOfSquares() + parameters.bias.sumOfSquares()
        return (classifier, loss / Double(n) + Double(decay) * squares / 2)
    }

    /// `dW[row] += scale · value · residual` for each feature of the document; `db += scale · residual`.
    private static func accumulate(_ residual: [Float], scale: Float, features: SparseFeatures, into gradients: inout NgramParameters) {
        let classes = residual.count
        gradients.weight.scalars.withUnsafeMutableBufferPointer { dW in
            for (row, value) in zip(features.indices, features.values) {
                let base = row * classes
                for c in 0..<classes { dW[base + c] += scale * value * residual[c] }
            }
        }
        for c in 0..<classes { gradients.bias[flat: c] += scale * residual[c] }
    }
}

/// The trainable tensors of an `NgramClassifier`, for the optimiser.
struct NgramParameters: ParameterGroup {
    var weight: Tensor
    var bias: Tensor

    mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        try body(prefix + "bias", &bias)
    }
}
