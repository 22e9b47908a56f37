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

    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double { stm_sum_squares(x, count) }
}
