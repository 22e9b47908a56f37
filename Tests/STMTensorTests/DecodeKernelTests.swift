import STMTensor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The decoding kernels (log-sum-exp, top-k) against plain Swift references, the bf16 GEMM's panel for fewer
/// rows than a full one (a beam of hypotheses) against the same rows multiplied one at a time, and the widened
/// bf16 GEMM against float64. Like
/// `KernelTests`, they run against the kernel set in force (`make test` forces each in turn).
struct DecodeKernelTests {
    private func random(_ count: Int, bound: Float, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return Tensor.uniform([count], bound: bound, using: &generator).scalars
    }

    @Test(arguments: [1, 15, 16, 8360])
    func logSumExpMatchesDoublePrecision(count: Int) {
        let x = random(count, bound: 20, seed: UInt64(count)).map { $0 - 30 }
        let maximum = Double(x.max()!)
        let expected = maximum + log(x.reduce(0.0) { $0 + exp(Double($1) - maximum) })
        let got = x.withUnsafeBufferPointer { FusedKernels.logSumExp($0.baseAddress!, count: count) }
        #expect(abs(Double(got) - expected) <= 2e-6 * max(1, abs(expected)), "\(got) vs \(expected)")
    }

    @Test func logSumExpIgnoresMinusInfinityAndDoesNotOverflow() {
        let x: [Float] = [1000, -.infinity, 1000, -.infinity] + [Float](repeating: -.infinity, count: 17)
        let got = x.withUnsafeBufferPointer { FusedKernels.logSumExp($0.baseAddress!, count: $0.count) }
        #expect(abs(got - (1000 + logf(2))) <= 1e-3, "\(got)")
    }

    private func topK(_ x: [Float], _ k: Int) -> [(Int, Float)] {
        var indices = [Int32](repeating: -1, count: k), values = [Float](repeating: 0, count: k)
        let found = x.withUnsafeBufferPointer { p in
            FusedKernels.topK(p.baseAddress!, count: x.count, k: k, indices: &indices, values: &values)
        }
        return (0..<found).map { (Int(indices[$0]), values[$0]) }
    }

    @Test(arguments: [(1, 1), (37, 5), (8360, 5), (8360, 1), (100, 12)])
    func topKMatchesAStableSort(count: Int, k: Int) {
        // Values on a coarse grid, so ties occur; the reference keeps the lower index first among equals.
        let x = random(count, bound: 8, seed: UInt64(count * 31 + k)).map { ($0 * 4).rounded() / 4 }
        let expected = x.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(k).map { ($0.offset, $0.element) }
        let got = topK(x, k)
        #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1), "\(got) vs \(Array(expected))")
    }

    @Test func topKSkipsNaNAndMinusInfinityAndReportsFewerThanK() {
        var x = [Float](repeating: -.infinity, count: 40)
        x[3] = .nan
        x[7] = -2
        x[33] = 5
        let got = topK(x, 4)
        #expect(got.map(\.0) == [33, 7] && got.map(\.1) == [5, -2], "\(got)")
    }

    @Test(
        .enabled(if: FusedKernels.hasBF16GEMM, "AVX-512 BF16 not in use here (the CPU lacks it, or STMD_KERNELS chose a narrower set)"),
        arguments: [1, 2, 3, 4, 5, 6, 11])
    func bfloat16PanelOfFewRowsEqualsRowsOneAtATime(rows m: Int) {
        let n = 16 * 9, k = 37  // two full 64-column panels and a 16-column rest; odd k
        let a = random(m * k, bound: 1, seed: 5), b = random(n * k, bound: 1, seed: 6)
        let packed = FusedKernels.packBF16(b, rows: n, columns: k)
        var together = [Float](repeating: 0, count: m * n), alone = together
        packed.withUnsafeBufferPointer { bp in
            a.withUnsafeBufferPointer { ap in
                together.withUnsafeMutableBufferPointer { cp in
                    FusedKernels.gemmBF16(
                        m: m, n: n, k: k, a: ap.baseAddress!, lda: k, packedB: bp.baseAddress!, c: cp.baseAddress!, ldc: n,
                        accumulate: false)
                }
                alone.withUnsafeMutableBufferPointer { cp in
                    for r in 0..<m {
                        FusedKernels.gemmBF16(
                            m: 1, n: n, k: k, a: ap.baseAddress! + r * k, lda: k, packedB: bp.baseAddress!,
                            c: cp.baseAddress! + r * n, ldc: n, accumulate: false)
                    }
                }
            }
        }
        #expect(together == alone)
        // And both against float64 over the bf16-rounded operands.
        let widen = { (x: UInt16) in Double(Float(bitPattern: UInt32(x) << 16)) }
        let ab = FusedKernels.bfloat16(a), bb = FusedKernels.bfloat16(b)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k { total += widen(ab[i * k + p]) * widen(bb[j * k + p]) }
                worst = max(worst, abs(Double(together[i * n + j]) - total))
            }
        }
        #expect(worst < 1e-4, "max error \(worst)")
    }

    @Test(arguments: [(1, 48, 37), (4, 16, 8), (5, 64, 256), (7, 32, 1)])
    func widenedBFloat16ProductMatchesDoublePrecision(m: Int, n: Int, k: Int) {
        let a = random(m * k, bound: 1, seed: 7), b = random(n * k, bound: 1, seed: 8)
        let start = random(m * n, bound: 1, seed: 9)
        let packed = FusedKernels.packBF16(b, rows: n, columns: k)
        var c = start
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    FusedKernels.gemmBF16Widened(
                        m: m, n: n, k: k, a: ap.baseAddress!, lda: k, packedB: bp.baseAddress!, c: cp.baseAddress!, ldc: n,
                        accumulate: true)
                }
            }
        }
        // B rounded to bf16, A exact: only float32 accumulation error remains.
        let bb = FusedKernels.bfloat16(b).map { Double(Float(bitPattern: UInt32($0) << 16)) }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var total = Double(start[i * n + j])
                for p in 0..<k { total += Double(a[i * k + p]) * bb[j * k + p] }
                worst = max(worst, abs(Double(c[i * n + j]) - total))
            }
        }
        #expect(worst < 1e-4, "max error \(worst)")
    }
}
