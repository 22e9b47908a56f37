internal import CSTMKernels

/// The instruction sets the hand-written kernels are built for (see `Sources/CSTMKernels`).
public enum KernelISA: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case generic = 0
    case avx2 = 1
    case avx512 = 2

    public static func < (lhs: KernelISA, rhs: KernelISA) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .generic: "generic"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The widest set this CPU runs.
    public static var best: KernelISA { KernelISA(rawValue: Int(stm_kernels_best_isa().rawValue)) ?? .generic }

    /// The set in use. Chosen once at first use (the best, or `STMD_KERNELS=generic|avx2|avx512`); tests and
    /// benchmarks may switch it with `select`.
    public static var current: KernelISA { KernelISA(rawValue: Int(stm_kernels_isa().rawValue)) ?? .generic }

    /// Switches the kernels; a set the CPU lacks falls back to the best it has. Returns the set in force.
    @discardableResult
    public static func select(_ isa: KernelISA) -> KernelISA {
        KernelISA(rawValue: Int(stm_kernels_select(stm_isa(rawValue: UInt32(isa.rawValue))).rawValue)) ?? .generic
    }

    /// Whether the AVX-512 path multiplies BF16 weights natively (vdpbf16ps).
    public static var nativeBF16: Bool { stm_kernels_native_bf16() != 0 }
}

/// Thin Swift entry points over the C kernels, on raw buffers. Shapes are the caller's responsibility; the
/// cells check them before calling.
public enum FusedKernels {
    @inline(__always)
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) { stm_sigmoid(x, count) }

    @inline(__always)
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) { stm_tanh(x, count) }

    /// LSTM gates: `gates` `[B, 4H]` pre-activations in, activated out; writes c, tanh(c), h.
    @inline(__always)
    public static func lstmForward(
        batch: Int, hidden: Int, gates: UnsafeMutablePointer<Float>, previousC: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>
    ) {
        stm_lstm_forward(batch, hidden, gates, previousC, c, tanhC, h)
    }

    @inline(__always)
    public static func lstmBackward(
        batch: Int, hidden: Int, gates: UnsafePointer<Float>, previousC: UnsafePointer<Float>,
        tanhC: UnsafePointer<Float>, dH: UnsafePointer<Float>, dC: UnsafePointer<Float>,
        dGates: UnsafeMutablePointer<Float>, dPreviousC: UnsafeMutablePointer<Float>
    ) {
        stm_lstm_backward(batch, hidden, gates, previousC, tanhC, dH, dC, dGates, dPreviousC)
    }

    /// GRU gates from `p = Wx·x + bx` and `q = Wh·h + bh` (`[B, 3H]` each); writes the gates and new h.
    @inline(__always)
    public static func gruForward(
        batch: Int, hidden: Int, p: UnsafePointer<Float>, q: UnsafePointer<Float>, previousH: UnsafePointer<Float>,
        gates: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>
    ) {
        stm_gru_forward(batch, hidden, p, q, previousH, gates, h)
    }

    /// → dp, dq (`[B, 3H]`) and the direct `z ⊙ dh` part of dh_prev.
    @inline(__always)
    public static func gruBackward(
        batch: Int, hidden: Int, gates: UnsafePointer<Float>, q: UnsafePointer<Float>,
        previousH: UnsafePointer<Float>, dH: UnsafePointer<Float>, dP: UnsafeMutablePointer<Float>,
        dQ: UnsafeMutablePointer<Float>, dPreviousH: UnsafeMutablePointer<Float>
    ) {
        stm_gru_backward(batch, hidden, gates, q, previousH, dH, dP, dQ, dPreviousH)
    }

    /// `y = W·x (+ y when accumulate)`, W row-major `[rows, columns]`.
    @inline(__always)
    public static func gemv(
        rows: Int, columns: Int, weights: UnsafePointer<Float>, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        stm_gemv_f32(rows, columns, weights, x, y, accumulate ? 1 : 0)
    }

    /// `y = W·x (+ y)` with bfloat16 weights.
    @inline(__always)
    public static func gemvBF16(
        rows: Int, columns: Int, weights: UnsafePointer<UInt16>, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        stm_gemv_bf16(rows, columns, weights, x, y, accumulate ? 1 : 0)
    }

    /// float32 → bfloat16, round to nearest even.
    public static func bfloat16(_ values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in stm_f32_to_bf16(x.baseAddress!, y.baseAddress!, x.count) }
        }
        return out
    }

    /// Whether `gemmBF16` can run here (AVX-512 BF16).
    public static var hasBF16GEMM: Bool { stm_gemm_bf16_available() != 0 }

    /// Packs weights `[n, k]` (n a multiple of 16) for `gemmBF16`.
    public static func packBF16(_ weights: [Float], rows n: Int, columns k: Int) -> [UInt16] {
        precondition(n % 16 == 0 && weights.count == n * k, "packBF16: [\(n), \(k)] with \(weights.count) values")
        var packed = [UInt16](repeating: 0, count: stm_bf16_packed_size(n, k))
        weights.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { p in stm_bf16_pack(n, k, w.baseAddress!, p.baseAddress!) }
        }
        return packed
    }

    /// `C [m, n] = A [m, k] · Bᵀ (+ C)` with B packed by `packBF16`; A rounded to bf16, float32 accumulation.
    @inline(__always)
    public static func gemmBF16(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<UInt16>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        stm_gemm_bf16(m, n, k, a, lda, packedB, c, ldc, accumulate ? 1 : 0)
    }

    /// log Σ exp(x[i]) over `count` values, shifted by their maximum (no overflow); the vector paths use the
    /// kernels' polynomial exp.
    @inline(__always)
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float { stm_log_sum_exp(x, count) }

    /// The `k` largest of `x[0..<count]`, best first (an equal value keeps the lower index); NaN and -inf never
    /// enter. Returns how many were written to `indices` and `values` (each with room for `k`).
    @inline(__always)
    public static func topK(
        _ x: UnsafePointer<Float>, count: Int, k: Int, indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>
    ) -> Int {
        stm_top_k(x, count, k, indices, values)
    }

    /// `gemmBF16`'s product (same packed B) on any CPU: the weights widened to float32 in registers, A kept in
    /// float32 (AVX2+FMA where the kernels in force have it, plain C otherwise). Half the weight bytes of sgemm.
    @inline(__always)
    public static func gemmBF16Widened(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<UInt16>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        stm_gemm_bf16_widen(m, n, k, a, lda, packedB, c, ldc, accumulate ? 1 : 0)
    }

    @inline(__always)
    public static func adamUpdate(
        count: Int, parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>,
        beta1: Float, beta2: Float, stepSize: Float, correction2: Float, epsilon: Float,
        coupledDecay: Float, decoupledDecay: Float
    ) {
        stm_adam_update(
            count, parameters, gradients, firstMoment, secondMoment, beta1, beta2, stepSize, correction2, epsilon,
            coupledDecay, decoupledDecay)
    }

    /// Threads of the kernels' own fork-join pool (including the caller); set with `BLAS.threadCount`.
    public static var poolThreads: Int { Int(stm_pool_threads()) }

    /// Runs `body(i)` for every i in 0..<count on the pool (index 0 on the caller), at most `poolThreads` at once,
    /// and returns when all are done.
    public static func parallel(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let job = PoolJob(body: escapable)
            withExtendedLifetime(job) {
                stm_parallel_run(Int32(count), { context, index in
                    Unmanaged<PoolJob>.fromOpaque(context!).takeUnretainedValue().body(Int(index))
                }, Unmanaged.passUnretained(job).toOpaque())
            }
        }
    }

    /// One batch-1 recurrent step (see `stm_step1` in stm_kernels.h), split over the pool: the step-by-step
    /// reference that `recurrentUnroll1`, which the runner uses, is tested against bit for bit.
    public static func recurrentStep1(
        kind: StepCellKind, hidden: Int, weights: UnsafeRawPointer, weightsBF16: Bool,
        recurrentBias: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        gateOutput: UnsafeMutablePointer<Float>?, previousH: UnsafePointer<Float>, previousC: UnsafePointer<Float>?,
        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?, split: Bool = true
    ) {
        var step = stm_step1(
            kind: stm_cell_kind(rawValue: kind.rawValue), hidden: hidden, weights: weights,
            weights_bf16: weightsBF16 ? 1 : 0, recurrent_bias: recurrentBias, gates: gates, scratch: scratch,
            gate_output: gateOutput, h_prev: previousH, c_prev: previousC, h: h, c: c, max_tasks: split ? 0 : 1)
        stm_recurrent_step1(&step)
    }

    /// A whole batch-1 sequence in one pool job (see `stm_recurrent_unroll1`): step t reads its projected gates
    /// at `projected + t·G·H`; the state starts in `previousH`/`previousC` and alternates with `h`/`c`.
    public static func recurrentUnroll1(
        kind: StepCellKind, hidden: Int, steps: Int, weights: UnsafeRawPointer, weightsBF16: Bool,
        recurrentBias: UnsafePointer<Float>?, projected: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        gateOutput: UnsafeMutablePointer<Float>?, previousH: UnsafeMutablePointer<Float>, previousC: UnsafeMutablePointer<Float>?,
        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?, outputs: UnsafeMutablePointer<Float>?,
        finalH: UnsafeMutablePointer<Float>, split: Bool = true
    ) {
        var step = stm_step1(
            kind: stm_cell_kind(rawValue: kind.rawValue), hidden: hidden, weights: weights,
            weights_bf16: weightsBF16 ? 1 : 0, recurrent_bias: recurrentBias, gates: projected, scratch: scratch,
            gate_output: gateOutput, h_prev: previousH, c_prev: previousC, h: h, c: c, max_tasks: split ? 0 : 1)
        stm_recurrent_unroll1(&step, steps, projected, outputs, finalH)
    }

    public enum StepCellKind: UInt32, Sendable {
        case lstm = 0, gru = 1, elmanSigmoid = 2, elmanTanh = 3
    }

    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double { stm_sum_squares(x, count) }
}

/// The closure of one `FusedKernels.parallel` call. Shared with the pool's threads only while
/// `stm_parallel_run` runs, which returns after every task has finished: no access outlives the call.
private final class PoolJob: @unchecked Sendable {
    let body: (Int) -> Void
    init(body: @escaping (Int) -> Void) { self.body = body }
}
