#if canImport(Glibc)
import Glibc
#endif
import STMTensor

/// The candidate step of beam search over a prepared output layer: logits for all hypotheses in one product,
/// then per hypothesis its log-normaliser and its `width` best tokens from the fused kernels. The buffers are
/// allocated once per sentence and reused by every step.
struct FastExpander {
    let output: TranslatorOutputLayer
    let width: Int
    /// Tokens never proposed (padding, `<s>`); they still count in the normaliser, as in the reference.
    let excluded: [Int]
    private var logits: [Float]
    private var indices: [Int32]
    private var values: [Float]

    init(output: TranslatorOutputLayer, width: Int, excluded: [Int]) {
        self.output = output
        self.width = width
        self.excluded = excluded.filter { $0 >= 0 && $0 < output.vocabularySize }
        logits = [Float](repeating: 0, count: width * output.stride)
        indices = [Int32](repeating: 0, count: width)
        values = [Float](repeating: 0, count: width)
    }

    /// Calls `body(hypothesis, token, log-probability)` for the best `width` tokens of each row of `outputs`
    /// (`[K, E]`, K ≤ width), best first within a hypothesis.
    mutating func expand(_ outputs: Tensor, _ body: (Int, Int, Float) -> Void) {
        let rows = outputs.rowCount
        precondition(rows <= width && outputs.columnCount == output.dimension, "FastExpander: outputs \(outputs.shape)")
        let vocabulary = output.vocabularySize, stride = output.stride, width = width, excluded = excluded
        let layer = output
        outputs.scalars.withUnsafeBufferPointer { hidden in
            logits.withUnsafeMutableBufferPointer { logits in
                indices.withUnsafeMutableBufferPointer { indices in
                    values.withUnsafeMutableBufferPointer { values in
                        layer.logits(hidden.baseAddress!, rows: rows, into: logits.baseAddress!)
                        for k in 0..<rows {
                            let row = logits.baseAddress! + k * stride
                            let normaliser = FusedKernels.logSumExp(row, count: vocabulary)
                            for id in excluded { row[id] = -.infinity }
                            let found = FusedKernels.topK(
                                row, count: vocabulary, k: width, indices: indices.baseAddress!, values: values.baseAddress!)
                            for i in 0..<found { body(k, Int(indices[i]), values[i] - normaliser) }
                        }
                    }
                }
            }
        }
    }
}
