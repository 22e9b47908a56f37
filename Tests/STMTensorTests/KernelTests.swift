import STMTensor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hand-written kernels against plain Swift references built on libm. They run against whichever kernel set
/// is in force: `make test` runs this suite (with the model reference and gradient suites) once per set by
/// forcing `STMD_KERNELS=generic|avx2|avx512`, so every dispatch path is checked on this CPU.
struct KernelTests {
    private func random(_ count: Int, bound: Float, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return Tensor.uniform([count], bound: bound, using: &generator).scalars
    }

    private func sigmoidReference(_ x: Float) -> Float { Float(1 / (1 + exp(-Double(x)))) }

    @Test func kernelSetIsTheOneRequested() {
        let requested = environmentKernelRequest()
        #expect(KernelISA.current <= KernelISA.best)
        if let requested { #expect(KernelISA.current == min(requested, KernelISA.best)) }
    }

    @Test func activationsMatchLibm() {
        // Odd lengths exercise the vector loops' remainders; the range covers saturation on both sides.
        var x = random(1001, bound: 12, seed: 1) + [-100, -88, 0, 88, 100]
        let original = x
        x.withUnsafeMutableBufferPointer { FusedKernels.sigmoid($0.baseAddress!, count: $0.count) }
        for i in x.indices { #expect(abs(x[i] - sigmoidReference(original[i])) <= 3e-7, "σ(\(original[i]))") }
        var t = original
        t.withUnsafeMutableBufferPointer { FusedKernels.tanh($0.baseAddress!, count: $0.count) }
        for i in t.indices { #expect(abs(t[i] - tanhf(original[i])) <= 5e-7, "tanh(\(original[i]))") }
    }

    @Test(arguments: [(1, 7), (3, 16), (2, 33)])
    func lstmGatesMatchReference(batch: Int, hidden: Int) {
        let pre = random(batch * 4 * hidden, bound: 4, seed: 2)
        let previousC = random(batch * hidden, bound: 2, seed: 3)
        var gates = pre
        var c = [Float](repeating: 0, count: batch * hidden), tanhC = c, h = c
        FusedKernels.lstmForward(
            batch: batch, hidden: hidden, gates: &gates, previousC: previousC, c: &c, tanhC: &tanhC, h: &h)
        for b in 0..<batch {
            for j in 0..<hidden {
                let base = b * 4 * hidden
                let i = sigmoidReference(pre[base + j]), f = sigmoidReference(pre[base + hidden + j])
                let g = tanhf(pre[base + 2 * hidden + j]), o = sigmoidReference(pre[base + 3 * hidden + j])
                let cell = f * previousC[b * hidden + j] + i * g
                #expect(abs(c[b * hidden + j] - cell) <= 1e-6)
                #expect(abs(h[b * hidden + j] - o * tanhf(cell)) <= 1e-6)
            }
        }
        // Backward against the same formulas.
        let dH = random(batch * hidden, bound: 1, seed: 4), dC = random(batch * hidden, bound: 1, seed: 5)
        var dGates = [Float](repeating: 0, count: batch * 4 * hidden)
        var dPreviousC = [Float](repeating: 0, count: batch * hidden)
        FusedKernels.lstmBackward(
            batch: batch, hidden: hidden, gates: gates, previousC: previousC, tanhC: tanhC, dH: dH, dC: dC,
            dGates: &dGates, dPreviousC: &dPreviousC)
        for b in 0..<batch {
            for j in 0..<hidden {
                let base = b * 4 * hidden, k = b * hidden + j
                let (i, f, g, o) = (gates[base + j], gates[base + hidden + j], gates[base + 2 * hidden + j], gates[base + 3 * hidden + j])
                let dCell = dC[k] + dH[k] * o * (1 - tanhC[k] * tanhC[k])
                #expect(abs(dGates[base + j] - dCell * g * i * (1 - i)) <= 1e-6)
                #expect(abs(dGates[base + hidden + j] - dCell * previousC[k] * f * (1 - f)) <= 1e-6)
                #expect(abs(dGates[base + 2 * hidden + j] - dCell * i * (1 - g * g)) <= 1e-6)
                #expect(abs(dGates[base + 3 * hidden + j] - dH[k] * tanhC[k] * o * (1 - o)) <= 1e-6)
                #expect(abs(dPreviousC[k] - dCell * f) <= 1e-6)
            }
        }
    }

    @Test(arguments: [(1, 9), (4, 32)])
    func gruGatesMatchReference(batch: Int, hidden: Int) {
        let p = random(batch * 3 * hidden, bound: 3, seed: 6), q = random(batch * 3 * hidden, bound: 3, seed: 7)
        let previous = random(batch * hidden, bound: 1, seed: 8)
        var gates = [Float](repeating: 0, count: batch * 3 * hidden)
        var h = [Float](repeating: 0, count: batch * hidden)
        FusedKernels.gruForward(batch: batch, hidden: hidden, p: p, q: q, previousH: previous, gates: &gates, h: &h)
        for b in 0..<batch {
            for j in 0..<hidden {
                let base = b * 3 * hidden
                let r = sigmoidReference(p[base + j] + q[base + j])
                let z = sigmoidReference(p[base + hidden + j] + q[base + hidden + j])
                let n = tanhf(p[base + 2 * hidden + j] + r * q[base + 2 * hidden + j])
                #expect(abs(h[b * hidden + j] - ((1 - z) * n + z * previous[b * hidden + j])) <= 1e-6)
            }
        }
    }

    @Test(arguments: [(1024, 256), (37, 45), (8, 64)])
    func gemvMatchesDoubleReference(rows: Int, columns: Int) {
        let w = random(rows * columns, bound: 1, seed: 9), x = random(columns, bound: 1, seed: 10)
        let start = random(rows, bound: 1, seed: 11)
        var y = start
        FusedKernels.gemv(rows: rows, columns: columns, weights: w, x: x, y: &y, accumulate: true)
        var worst: Double = 0
        for r in 0..<rows {
            var total = Double(start[r])
            for c in 0..<columns { total += Double(w[r * columns + c]) * Double(x[c]) }
            worst = max(worst, abs(Double(y[r]) - total))
        }
        #expect(worst < 1e-4, "max error \(worst)")

        // bf16 weights: exact against the widened weights, up to x's own rounding on the native path.
        let packed = FusedKernels.bfloat16(w)
        var yb = [Float](repeating: 0, count: rows)
        FusedKernels.gemvBF16(rows: rows, columns: columns, weights: packed, x: x, y: &yb, accumulate: false)
        // Exact against the widened weights on the widening paths; the native path also rounds x to bf16,
        // which moves each product by at most 2⁻⁹ of its size, so row r may be off by Σ|w·x|·2⁻⁸ (+ summation).
        let roundsX = KernelISA.nativeBF16 && KernelISA.current == .avx512
        for r in 0..<rows {
            var total = 0.0, magnitude = 0.0
            for c in 0..<columns {
                let product = Double(Float(bitPattern: UInt32(packed[r * columns + c]) << 16)) * Double(x[c])
                total += product
                magnitude += abs(product)
            }
            let allowed = (roundsX ? magnitude / 256 : 0) + 1e-4
            #expect(abs(Double(yb[r]) - total) <= allowed, "bf16 row \(r): \(yb[r]) vs \(total)")
        }
    }

    /// The packed bf16 GEMM against a Double product of the bf16-rounded operands (it rounds both).
    @Test(.enabled(if: FusedKernels.hasBF16GEMM, "AVX-512 BF16 not in use here (the CPU lacks it, or STMD_KERNELS chose a narrower set)"), arguments: [(32, 1024, 256), (7, 48, 5), (1, 16, 3)])
    func bf16GemmMatchesRoundedReference(m: Int, n: Int, k: Int) {
        let a = random(m * k, bound: 1, seed: 12), b = random(n * k, bound: 1, seed: 13)
        let start = random(m * n, bound: 1, seed: 14)
        let packed = FusedKernels.packBF16(b, rows: n, columns: k)
        var c = start
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    FusedKernels.gemmBF16(
                        m: m, n: n, k: k, a: ap.baseAddress!, lda: k, packedB: bp.baseAddress!, c: cp.baseAddress!,
                        ldc: n, accumulate: true)
                }
            }
        }
        let widen = { (x: UInt16) in Double(Float(bitPattern: UInt32(x) << 16)) }
        let ab = FusedKernels.bfloat16(a), bb = FusedKernels.bfloat16(b)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var total = Double(start[i * n + j])
                for p in 0..<k { total += widen(ab[i * k + p]) * widen(bb[j * k + p]) }
                worst = max(worst, abs(Double(c[i * n + j]) - total))
            }
        }
        #expect(worst < 1e-4, "max error \(worst)")
    }

    /// The whole-sequence batch-1 unroll (one pool job, a barrier per step) gives the bits of the step-by-step
    /// path, for every cell, both weight types, and one or two threads.
    @Test(arguments: [FusedKernels.StepCellKind.lstm, .gru, .elmanSigmoid, .elmanTanh], [false, true])
    func unrollGivesTheStepByStepBits(kind: FusedKernels.StepCellKind, bf16: Bool) {
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        let hidden = 64, steps = 9
        let gates = kind == .lstm ? 4 : kind == .gru ? 3 : 1
        let width = gates * hidden
        let weights = random(width * hidden, bound: 0.3, seed: 41)
        let weightsBF16 = FusedKernels.bfloat16(weights)
        let bias = random(width, bound: 0.2, seed: 42)
        let projected = random(steps * width, bound: 1, seed: 43)

        func run(threads: Int, unrolled: Bool) -> (outputs: [Float], final: [Float]) {
            BLAS.threadCount = threads
            var rows = projected
            var (h0, h1, c0, c1) = ([Float](repeating: 0, count: hidden), [Float](repeating: 0, count: hidden),
                                    [Float](repeating: 0, count: hidden), [Float](repeating: 0, count: hidden))
            var scratch = [Float](repeating: 0, count: width)
            var gateOutput = [Float](repeating: 0, count: width)
            var outputs = [Float](repeating: 0, count: steps * hidden)
            var final = [Float](repeating: 0, count: hidden)
            let body = { (w: UnsafeRawPointer) in
                if unrolled {
                    FusedKernels.recurrentUnroll1(
                        kind: kind, hidden: hidden, steps: steps, weights: w, weightsBF16: bf16, recurrentBias: bias,
                        projected: &rows, scratch: &scratch, gateOutput: &gateOutput, previousH: &h0,
                        previousC: &c0, h: &h1, c: &c1, outputs: &outputs, finalH: &final)
                    return
                }
                for t in 0..<steps {
                    rows.withUnsafeMutableBufferPointer { r in
                        FusedKernels.recurrentStep1(
                            kind: kind, hidden: hidden, weights: w, weightsBF16: bf16, recurrentBias: bias,
                            gates: r.baseAddress! + t * width, scratch: &scratch, gateOutput: &gateOutput,
                            previousH: h0, previousC: c0, h: &h1, c: &c1)
                    }
                    for j in 0..<hidden { outputs[t * hidden + j] = h1[j] }
                    swap(&h0, &h1)
                    swap(&c0, &c1)
                }
                final = h0
            }
            if bf16 { weightsBF16.withUnsafeBytes { body($0.baseAddress!) } } else { weights.withUnsafeBytes { body($0.baseAddress!) } }
            return (outputs, final)
        }

        let reference = run(threads: 1, unrolled: false)
        #expect(reference.final.contains { $0 != 0 })
        #expect(reference.final == Array(reference.outputs.suffix(hidden)))
        for threads in [1, 2] {
            let unrolled = run(threads: threads, unrolled: true)
            #expect(unrolled.outputs == reference.outputs, "\(threads) thread(s)")
            #expect(unrolled.final == reference.final, "\(threads) thread(s)")
        }
    }

    /// A job with more tasks than the pool has threads still runs every task, exactly once.
    @Test func everyTaskRunsWhenTasksOutnumberThreads() {
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        for threads in [1, 2] {
            BLAS.threadCount = threads
            let runs = UnsafeMutablePointer<Int>.allocate(capacity: 7)
            runs.initialize(repeating: 0, count: 7)
            FusedKernels.parallel(7) { task in runs[task] += 1 }  // each slot written by the one thread running it
            #expect((0..<7).map { runs[$0] } == [Int](repeating: 1, count: 7), "\(threads) thread(s)")
            runs.deallocate()
        }
    }

    @Test func bfloat16RoundsToNearestEven() {
        let cases: [(Float, UInt16)] = [
            (1.0, 0x3F80), (Float(bitPattern: 0x3F80_8000), 0x3F80), (Float(bitPattern: 0x3F81_8000), 0x3F82),
            (Float(bitPattern: 0x3F80_8001), 0x3F81), (-2.5, 0xC020), (.infinity, 0x7F80),
        ]
        let converted = FusedKernels.bfloat16(cases.map(\.0))
        #expect(converted == cases.map(\.1))
        #expect(FusedKernels.bfloat16([.nan])[0] & 0x7FC0 == 0x7FC0)
    }

    private func environmentKernelRequest() -> KernelISA? {
        guard let value = getenv("STMD_KERNELS") else { return nil }
        return KernelISA.allCases.first { $0.description == String(cString: value) }
    }
}
