public import STMTensor

/// The decoder's output layer prepared once for inference: `logits = h̃ · Eᵀ + b` over the whole vocabulary.
///
/// Decoding spends most of its time here (every step, every hypothesis, the full vocabulary), and the product
/// is bound by streaming the table. `float32` is the reference (oneDNN sgemm on the tied embedding table);
/// `bfloat16` keeps the table in bfloat16 and streams half the bytes. Where the kernels in force have AVX-512 BF16
/// it multiplies with vdpbf16ps (the decoder output rounded to bfloat16 too); elsewhere it widens the weights to
/// float32 in registers (`FusedKernels.gemmBF16Widened`, decoder output kept in float32). Both accumulate in
/// float32.
public struct TranslatorOutputLayer: Sendable {
    public enum Precision: String, Sendable, CaseIterable {
        case float32 = "f32"
        case bfloat16 = "bf16"
    }

    public let precision: Precision
    /// Whether the bfloat16 product uses the CPU's BF16 dot product (decided when the layer is prepared).
    public var nativeBF16: Bool { packed?.native ?? false }
    public let vocabularySize: Int
    public let dimension: Int
    /// Distance between rows of the logits `logits` writes: the vocabulary, padded to whole 16-column panels
    /// for bfloat16.
    public let stride: Int
    private let table: Tensor
    private let bias: [Float]
    private let packed: PackedBF16Matrix?

    /// The default: bfloat16 with BF16 dot products or AVX2 to widen with (measured faster than float32 with
    /// both, BENCHMARKS.md); float32 on a baseline-only CPU, where oneDNN's own kernel was not measured against
    /// the plain-C widening.
    public static var fastest: Precision {
        FusedKernels.hasBF16GEMM || KernelISA.current >= .avx2 ? .bfloat16 : .float32
    }

    /// - Parameters: table: `[V, E]` (the tied embedding table); bias: `[V]`.
    public init(table: Tensor, bias: Tensor, precision: Precision) {
        precondition(table.rank == 2 && bias.count == table.rowCount, "TranslatorOutputLayer: table \(table.shape), bias \(bias.shape)")
        vocabularySize = table.rowCount
        dimension = table.columnCount
        self.table = table
        self.precision = precision
        self.bias = bias.scalars
        packed = precision == .bfloat16 ? PackedBF16Matrix(weight: table, bias: bias) : nil
        stride = packed?.paddedRows ?? vocabularySize
    }

    /// Writes the logits of `rows` decoder outputs `hidden` (`[rows, dimension]`, row-major) to `logits`:
    /// row r at `logits + r · stride`, its first `vocabularySize` entries meaningful.
    public func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        if let packed {
            packed.multiply(hidden, m: rows, into: logits, ldy: stride)
            return
        }
        table.scalars.withUnsafeBufferPointer { weights in
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: rows, n: vocabularySize, k: dimension, alpha: 1,
                a: hidden, lda: dimension, b: weights.baseAddress!, ldb: dimension, beta: 0, c: logits, ldc: stride)
        }
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = logits + r * stride
                for v in 0..<vocabularySize { row[v] += b[v] }
            }
        }
    }
}
