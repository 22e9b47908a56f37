public import STMTensor

/// The decoder's output layer prepared once for inference: `logits = h̃ · Eᵀ + b` over the whole vocabulary.
///
/// Decoding spends most of its time here (every step, every hypothesis, the full vocabulary), and the product
/// is bound by streaming the table. `float32` is the reference (oneDNN sgemm on the tied embedding table);
/// `bfloat16` streams half the bytes and multiplies with vdpbf16ps, accumulating in float32 (the decoder
/// output is rounded to bfloat16 too). bfloat16 needs AVX-512 BF16; where the kernels in force lack it, the
/// layer falls back to float32 and says so in `precision`.
public struct TranslatorOutputLayer: Sendable {
    public enum Precision: String, Sendable, CaseIterable {
        case float32 = "f32"
        case bfloat16 = "bf16"
    }

    /// The precision in use (bfloat16 requested on a CPU without AVX-512 BF16 gives float32).
    public let precision: Precision
    public let vocabularySize: Int
    public let dimension: Int
    /// Distance between rows of the logits `logits` writes: the vocabulary, padded to whole 16-column panels
    /// for bfloat16.
    public let stride: Int
    private let table: Tensor
    private let packed: [UInt16]
    private let bias: [Float]

    /// The fastest precision the kernels in force run.
    public static var fastest: Precision { FusedKernels.hasBF16GEMM ? .bfloat16 : .float32 }

    /// - Parameters: table: `[V, E]` (the tied embedding table); bias: `[V]`.
    public init(table: Tensor, bias: Tensor, precision: Precision) {
        precondition(table.rank == 2 && bias.count == table.rowCount, "TranslatorOutputLayer: table \(table.shape), bias \(bias.shape)")
        vocabularySize = table.rowCount
        dimension = table.columnCount
        self.table = table
        if precision == .bfloat16 && FusedKernels.hasBF16GEMM {
            self.precision = .bfloat16
            stride = (vocabularySize + 15) / 16 * 16
            var padded = table.scalars
            padded.append(contentsOf: repeatElement(0, count: (stride - vocabularySize) * dimension))
            packed = FusedKernels.packBF16(padded, rows: stride, columns: dimension)
        } else {
            self.precision = .float32
            stride = vocabularySize
            packed = []
        }
        self.bias = bias.scalars + [Float](repeating: 0, count: stride - vocabularySize)
    }

    /// Writes the logits of `rows` decoder outputs `hidden` (`[rows, dimension]`, row-major) to `logits`:
    /// row r at `logits + r · stride`, its first `vocabularySize` entries meaningful.
    public func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        switch precision {
        case .float32:
            table.scalars.withUnsafeBufferPointer { weights in
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: rows, n: vocabularySize, k: dimension, alpha: 1,
                    a: hidden, lda: dimension, b: weights.baseAddress!, ldb: dimension, beta: 0, c: logits, ldc: stride)
            }
        case .bfloat16:
            packed.withUnsafeBufferPointer { weights in
                FusedKernels.gemmBF16(
                    m: rows, n: stride, k: dimension, a: hidden, lda: dimension, packedB: weights.baseAddress!, c: logits,
                    ldc: stride, accumulate: false)
            }
        }
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = logits + r * stride
                for v in 0..<stride { row[v] += b[v] }
            }
        }
    }
}
