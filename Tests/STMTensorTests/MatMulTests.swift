import STMTensor
import Testing

struct MatMulTests {
    /// Reference product in Double with explicit loops.
    private func naiveProduct(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool) -> [Double] {
        let m = transposeA ? a.columnCount : a.rowCount
        let k = transposeA ? a.rowCount : a.columnCount
        let n = transposeB ? b.rowCount : b.columnCount
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p, i] : a[i, p]
                    let y = transposeB ? b[j, p] : b[p, j]
                    total += Double(x) * Double(y)
                }
                out[i * n + j] = total
            }
        }
        return out
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(transposeA: Bool, transposeB: Bool) {
        var generator = SplitMix64(seed: 7)
        let (m, k, n) = (5, 7, 3)
        let a = Tensor.uniform(transposeA ? [k, m] : [m, k], bound: 1, using: &generator)
        let b = Tensor.uniform(transposeB ? [n, k] : [k, n], bound: 1, using: &generator)
        let product = matmul(a, transposeA: transposeA, b, transposeB: transposeB)
        let expected = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
        #expect(product.shape == [m, n])
        for i in 0..<expected.count {
            #expect(abs(Double(product[flat: i]) - expected[i]) < 1e-5, "element \(i)")
        }
    }

    @Test func gemmAccumulatesWithAlphaAndBeta() {
        var generator = SplitMix64(seed: 8)
        let a = Tensor.uniform([4, 6], bound: 1, using: &generator)
        let b = Tensor.uniform([6, 2], bound: 1, using: &generator)
        let start = Tensor.uniform([4, 2], bound: 1, using: &generator)
        var c = start
        gemm(a, b, into: &c, alpha: 0.5, beta: 2)
        let product = naiveProduct(a, transposeA: false, b, transposeB: false)
        for i in 0..<c.count {
            #expect(abs(Double(c[flat: i]) - (0.5 * product[i] + 2 * Double(start[flat: i]))) < 1e-5)
        }
    }

    @Test func emptyInnerDimensionScalesByBeta() {
        var c = Tensor(shape: [2, 2], repeating: 3)
        gemm(Tensor.zeros([2, 0]), Tensor.zeros([0, 2]), into: &c, beta: 0.5)
        #expect(c.scalars == [1.5, 1.5, 1.5, 1.5])
    }

    /// `Tensor.unfilled` outputs rely on a `beta = 0` GEMM never reading C: garbage (here NaN) must not leak in,
    /// for the small per-step shapes and the large split ones alike, and with an empty inner dimension.
    @Test(arguments: [(3, 5, 4), (32, 256, 1024), (2048, 128, 512)])
    func betaZeroNeverReadsTheOutput(m: Int, k: Int, n: Int) {
        var generator = SplitMix64(seed: 9)
        let a = Tensor.uniform([m, k], bound: 1, using: &generator)
        let b = Tensor.uniform([k, n], bound: 1, using: &generator)
        var c = Tensor(shape: [m, n], repeating: .nan)
        gemm(a, b, into: &c)
        #expect(c.scalars.allSatisfy { $0.isFinite })
        #expect(c == matmul(a, b))
        var empty = Tensor(shape: [2, 2], repeating: .nan)
        gemm(Tensor.zeros([2, 0]), Tensor.zeros([0, 2]), into: &empty)
        #expect(empty.scalars == [0, 0, 0, 0])
    }

    @Test func threadCountIsSetOnPurpose() {
        let previous = BLAS.threadCount
        BLAS.threadCount = 1
        #expect(BLAS.threadCount == 1)
        #expect(BLAS.configureThreadsFromEnvironment(["STMD_THREADS": "2"]) == 2)
        #expect(BLAS.configureThreadsFromEnvironment([:]) == 1)
        BLAS.threadCount = previous
    }
}
