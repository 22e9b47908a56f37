public import STMTensor

/// A weight matrix `[rows, columns]` stored in bfloat16 for `y = x · Wᵀ + b` at inference, packed once for the
/// bf16 GEMM: AVX-512 BF16 dot products where the kernels in force have them (x rounded to bf16 too), the weights
/// widened to float32 in registers elsewhere (x kept in float32). Rows are padded with zeros to whole 16-row
/// panels, so y has `paddedRows` columns, of which the first `rows` are the product.
public struct PackedBF16Matrix: Sendable {
    public let rows: Int
    public let columns: Int
    /// `rows` rounded up to a multiple of 16: the width of y the product writes.
    public let paddedRows: Int
    /// Whether the product uses the CPU's BF16 dot products (decided when packed).
    public let native: Bool
    private let packed: [UInt16]
    /// Padded with zeros to `paddedRows`.
    public let bias: [Float]

    /// - Parameters: weight: `[rows, columns]`; bias: `[rows]` or nil for none.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && (bias == nil || bias!.count == weight.rowCount), "PackedBF16Matrix: \(weight.shape)")
        rows = weight.rowCount
        columns = weight.columnCount
        paddedRows = (rows + 15) / 16 * 16
        native = FusedKernels.hasBF16GEMM
        var padded = weight.scalars
        padded.append(contentsOf: repeatElement(0, count: (paddedRows - rows) * columns))
        packed = FusedKernels.packBF16(padded, rows: paddedRows, columns: columns)
        self.bias = (bias?.scalars ?? [Float](repeating: 0, count: rows)) + [Float](repeating: 0, count: paddedRows - rows)
    }

    /// `y[r] = x[r] · Wᵀ + b` for `m` rows of x (`columns` apart); row r of y at `y + r · ldy` (`ldy ≥ paddedRows`).
    public func multiply(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        guard m > 0 else { return }
        precondition(ldy >= paddedRows, "PackedBF16Matrix.multiply: ldy \(ldy) < \(paddedRows)")
        packed.withUnsafeBufferPointer { weights in
            if native {
                FusedKernels.gemmBF16(
                    m: m, n: paddedRows, k: columns, a: x, lda: columns, packedB: weights.baseAddress!, c: y, ldc: ldy,
                    accumulate: false)
            } else {
                FusedKernels.gemmBF16Widened(
                    m: m, n: paddedRows, k: columns, a: x, lda: columns, packedB: weights.baseAddress!, c: y, ldc: ldy,
                    accumulate: false)
            }
        }
        bias.withUnsafeBufferPointer { b in
            for r in 0..<m {
                let row = y + r * ldy
                for v in 0..<paddedRows { row[v] += b[v] }
            }
        }
    }

    /// `x · Wᵀ + b` as a `[x.rowCount, rows]` tensor.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.columnCount == columns, "PackedBF16Matrix: x \(x.shape), columns \(columns)")
        let m = x.rowCount
        var padded = [Float](repeating: 0, count: m * paddedRows)
        x.scalars.withUnsafeBufferPointer { xp in
            padded.withUnsafeMutableBufferPointer { multiply(xp.baseAddress!, m: m, into: $0.baseAddress!, ldy: paddedRows) }
        }
        if paddedRows == rows { return Tensor(shape: [m, rows], scalars: padded) }
        var out = [Float](repeating: 0, count: m * rows)
        for r in 0..<m { for c in 0..<rows { out[r * rows + c] = padded[r * paddedRows + c] } }
        return Tensor(shape: [m, rows], scalars: out)
    }
}
