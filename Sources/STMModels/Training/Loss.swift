#if canImport(Glibc)
import Glibc
#endif
public import STMTensor

/// Softmax cross-entropy over rows of `logits` `[N, C]` against class indices, averaged over the rows
/// (optionally weighted per row, e.g. 0 for padding). Returns the loss and its gradient `dLogits`
/// = (softmax − onehot)·weight/Σweight, computed from the log-softmax so it stays finite for any logits.
public func softmaxCrossEntropy(
    logits: Tensor, labels: [Int], weights: [Float]? = nil
) -> (loss: Float, dLogits: Tensor) {
    let rows = logits.rowCount, classes = logits.columnCount
    precondition(labels.count == rows, "softmaxCrossEntropy: \(labels.count) labels for \(rows) rows")
    let weights = weights ?? [Float](repeating: 1, count: rows)
    let totalWeight = weights.reduce(0, +)
    guard totalWeight > 0 else { return (0, Tensor.zeros(logits.shape)) }
    let logProbabilities = logits.logSoftmax()
    var dLogits = logProbabilities
    var loss = 0.0
    for r in 0..<rows {
        let label = labels[r]
        precondition(label >= 0 && label < classes, "softmaxCrossEntropy: label \(label) outside 0..<\(classes)")
        let scale = weights[r] / totalWeight
        loss -= Double(scale) * Double(logProbabilities[r, label])
        for c in 0..<classes {
            dLogits[r, c] = (expf(logProbabilities[r, c]) - (c == label ? 1 : 0)) * scale
        }
    }
    return (Float(loss), dLogits)
}
