import STMModels
import STMTensor
import Testing

/// `PackedBF16Matrix` against `x·Wᵀ + b` in float32, within the bound bf16 rounding allows.
struct PackedBF16MatrixTests {
    @Test(arguments: [(1, 20, 9), (5, 48, 33), (7, 16, 256)])
    func productMatchesFloat32WithinBFloat16Rounding(m: Int, rows: Int, columns: Int) {
        var generator = SplitMix64(seed: UInt64(m * 1000 + rows))
        let weight = Tensor.uniform([rows, columns], bound: 0.5, using: &generator)
        let bias = Tensor.uniform([rows], bound: 1, using: &generator)
        let x = Tensor.uniform([m, columns], bound: 1, using: &generator)
        var expected = matmul(x, weight, transposeB: true)
        expected.addRowVector(bias)
        let matrix = PackedBF16Matrix(weight: weight, bias: bias)
        #expect(matrix.paddedRows == (rows + 15) / 16 * 16 && matrix.native == FusedKernels.hasBF16GEMM)
        let y = matrix(x)
        #expect(y.shape == [m, rows])
        for r in 0..<m {
            for c in 0..<rows {
                var magnitude: Float = 0
                for k in 0..<columns { magnitude += abs(x[r, k] * weight[c, k]) }
                // Weights (and x, with BF16 dot products) rounded to bf16: relative error ≤ 2⁻⁹ each.
                #expect(abs(y[r, c] - expected[r, c]) <= magnitude / 256 + 1e-5, "[\(r), \(c)]")
            }
        }
        // Far from float32 would mean the wrong weights, not rounding: the product is not trivially small.
        #expect(expected.scalars.map(abs).max()! > 0.5)
    }
}
