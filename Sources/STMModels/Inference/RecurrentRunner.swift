public import STMTensor

/// How a model's recurrent weights are stored for inference. `f32` is the reference; `bf16` halves the bytes
/// the batch-1 recurrence streams from memory for every token (the input projection stays float32).
public enum WeightPrecision: String, Sendable, Codable, CaseIterable {
    case f32
    case bf16
}

/// Inference-only unrolling of one recurrent direction: weights packed once, buffers reused across calls,
/// no per-step allocation. The input projection of every step and sequence is one GEMM; each step then adds
/// the recurrent half — a GEMV with the hand-written kernels at batch 1 (where the whole `W_hh` is read per
/// token and bandwidth decides), the BLAS's GEMM for larger batches — and applies the fused gate kernel in
/// place. Results equal `Recurrent.forward` up to float rounding (and bf16 rounding of `W_hh` when chosen).
///
/// A runner owns mutable scratch memory: use one per thread (it is cheap next to the weights it shares).
public final class RecurrentRunner {
    public enum Kind: Sendable, Equatable {
        case elman(Activation)
        case gru
        case lstm
    }

    public let kind: Kind
    public let inputSize: Int
    public let hiddenSize: Int
    public let precision: WeightPrecision
    let gateCount: Int
    /// `[G·H, D]`, and the bias added to the projection: `bx + bh` where `bh` is not gated separately.
    let inputWeights: Tensor
    let inputBias: Tensor
    /// `[G·H, H]` in float32 (always kept: the batched GEMM path uses it) and bf16 when asked for.
    let recurrentWeights: [Float]
    let recurrentWeightsBF16: [UInt16]
    /// Packed for the bf16 GEMM (batched steps and the input projection), when the CPU has it.
    let packedRecurrentWeights: [UInt16]
    let packedInputWeights: [UInt16]
    /// GRU only: `bh`, which the reset gate multiplies together with `Wh·h`.
    let recurrentBias: [Float]

    /// Scratch, grown on demand and reused: the projection `[T·B, G·H]`, the states and the gate buffers.
    private var projection = ScratchBuffer()
    private var h = ScratchBuffer(), c = ScratchBuffer(), nextH = ScratchBuffer(), nextC = ScratchBuffer()
    private var scratch = ScratchBuffer(), gates = ScratchBuffer()

    init(
        kind: Kind, wx: Tensor, wh: Tensor, bx: Tensor, bh: Tensor?, separateRecurrentBias: Bool,
        precision: WeightPrecision
    ) {
        self.kind = kind
        self.hiddenSize = wh.columnCount
        self.inputSize = wx.columnCount
        self.gateCount = wx.rowCount / wh.columnCount
        self.precision = precision
        inputWeights = wx
        var bias = bx
        if let bh, !separateRecurrentBias { bias.add(bh) }
        inputBias = bias
        recurrentWeights = wh.scalars
        recurrentWeightsBF16 = precision == .bf16 ? FusedKernels.bfloat16(wh.scalars) : []
        let packable = precision == .bf16 && FusedKernels.hasBF16GEMM && wx.rowCount % 16 == 0
        packedRecurrentWeights = packable ? FusedKernels.packBF16(wh.scalars, rows: wh.rowCount, columns: wh.columnCount) : []
        packedInputWeights = packable ? FusedKernels.packBF16(wx.scalars, rows: wx.rowCount, columns: wx.columnCount) : []
        recurrentBias = separateRecurrentBias ? (bh?.scalars ?? []) : []
    }

    /// Runs `input` `[T, B, D]` (time-major) from a zero state.
    /// - Parameters:
    ///   - lengths: each sequence's real length (nil: all `T`); finished rows keep their state.
    ///   - outputs: when given, receives `[T, B, H]` (zero at padded steps).
    ///   - finalH: receives `[B, H]`, each sequence's state after its last real step.
    public func run(
        input: UnsafePointer<Float>, steps: Int, batch: Int, lengths: [Int]? = nil,
        outputs: UnsafeMutablePointer<Float>?, finalH: UnsafeMutablePointer<Float>
    ) {
        // With bf16 weights the batched steps run on the hand-written GEMM, which is single-threaded: a second
        // thread takes half of the sequences (they are independent). The f32 path's GEMMs thread inside oneDNN.
        let tasks = min(FusedKernels.poolThreads, batch)
        if tasks > 1 && !packedRecurrentWeights.isEmpty {
            runSplit(tasks: tasks, input: input, steps: steps, batch: batch, lengths: lengths, outputs: outputs, finalH: finalH)
        } else if batch == 1 && FusedKernels.poolThreads > 1 {
            splitSteps = splitTuner.nextSplit()
            let started = SplitTuner.now()
            runSequential(input: input, steps: steps, batch: batch, lengths: lengths, outputs: outputs, finalH: finalH)
            splitTuner.record(split: splitSteps, seconds: SplitTuner.now() - started, tokens: steps)
        } else {
            runSequential(input: input, steps: steps, batch: batch, lengths: lengths, outputs: outputs, finalH: finalH)
        }
    }

    /// Batch 1 with a multi-thread pool: whether splitting steps pays, measured on live documents.
    private var splitTuner = SplitTuner()
    private var splitSteps = true

    /// Helpers for `runSplit`, one per extra thread, sharing this runner's weights.
    private var helpers: [RecurrentRunner] = []

    private init(sharingWeightsOf other: RecurrentRunner) {
        kind = other.kind
        inputSize = other.inputSize
        hiddenSize = other.hiddenSize
        precision = other.precision
        gateCount = other.gateCount
        inputWeights = other.inputWeights
        inputBias = other.inputBias
        recurrentWeights = other.recurrentWeights
        recurrentWeightsBF16 = other.recurrentWeightsBF16
        packedRecurrentWeights = other.packedRecurrentWeights
        packedInputWeights = other.packedInputWeights
        recurrentBias = other.recurrentBias
    }

    private func runSplit(
        tasks: Int, input: UnsafePointer<Float>, steps: Int, batch: Int, lengths: [Int]?,
        outputs: UnsafeMutablePointer<Float>?, finalH: UnsafeMutablePointer<Float>
    ) {
        while helpers.count < tasks { helpers.append(RecurrentRunner(sharingWeightsOf: self)) }
        let hidden = hiddenSize, features = inputSize
        let share = (batch + tasks - 1) / tasks
        let helpers = self.helpers
        FusedKernels.parallel(tasks) { task in
            let first = min(task * share, batch), rows = min(share, batch - first)
            guard rows > 0 else { return }
            // Gather this task's sequences into a contiguous time-major block, run, scatter back.
            var part = [Float](repeating: 0, count: steps * rows * features)
            var partOutputs = [Float](repeating: 0, count: outputs == nil ? 0 : steps * rows * hidden)
            var partFinal = [Float](repeating: 0, count: rows * hidden)
            for t in 0..<steps {
                for r in 0..<rows {
                    let source = input + (t * batch + first + r) * features
                    for f in 0..<features { part[(t * rows + r) * features + f] = source[f] }
                }
            }
            let partLengths = lengths.map { Array($0[first..<(first + rows)]) }
            part.withUnsafeBufferPointer { x in
                partOutputs.withUnsafeMutableBufferPointer { out in
                    partFinal.withUnsafeMutableBufferPointer { last in
                        helpers[task].runSequential(
                            input: x.baseAddress!, steps: steps, batch: rows, lengths: partLengths,
                            outputs: outputs == nil ? nil : out.baseAddress!, finalH: last.baseAddress!)
                    }
                }
            }
            for r in 0..<rows {
                for j in 0..<hidden { finalH[(first + r) * hidden + j] = partFinal[r * hidden + j] }
            }
            if let outputs {
                for t in 0..<steps {
                    for r in 0..<rows {
                        for j in 0..<hidden {
                            outputs[(t * batch + first + r) * hidden + j] = partOutputs[(t * rows + r) * hidden + j]
                        }
                    }
                }
            }
        }
    }

    private func runSequential(
        input: UnsafePointer<Float>, steps: Int, batch: Int, lengths: [Int]?,
        outputs: UnsafeMutablePointer<Float>?, finalH: UnsafeMutablePointer<Float>
    ) {
        let hidden = hiddenSize, width = gateCount * hidden
        let p = projection.reserve(steps * batch * width)
        for buffer in [h, c, nextH, nextC] { _ = buffer.reserve(batch * hidden) }
        _ = scratch.reserve(batch * width)
        _ = gates.reserve(batch * width)
        h.zero(batch * hidden)
        c.zero(batch * hidden)

        // P = X·Wxᵀ + bias for all T·B rows in one GEMM.
        if !packedInputWeights.isEmpty {
            packedInputWeights.withUnsafeBufferPointer { w in
                FusedKernels.gemmBF16(
                    m: steps * batch, n: width, k: inputSize, a: input, lda: inputSize, packedB: w.baseAddress!, c: p,
                    ldc: width, accumulate: false)
            }
        } else {
            inputWeights.scalars.withUnsafeBufferPointer { w in
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: steps * batch, n: width, k: inputSize, alpha: 1,
                    a: input, lda: inputSize, b: w.baseAddress!, ldb: inputSize, beta: 0, c: p, ldc: width)
            }
        }
        inputBias.scalars.withUnsafeBufferPointer { bias in
            for row in 0..<(steps * batch) {
                let base = p + row * width
                for j in 0..<width { base[j] += bias[j] }
            }
        }
        if batch == 1 {
            // A single sequence: the whole unroll in one C call, one pool job. Steps past its length (a row of a
            // padded batch) keep the final state and output zeros.
            let length = min(lengths?[0] ?? steps, steps)
            unrollOne(projected: p, steps: length, outputs: outputs, finalH: finalH)
            if let outputs, length < steps { (outputs + length * hidden).initialize(repeating: 0, count: (steps - length) * hidden) }
            return
        }
        for t in 0..<steps {
            step(rows: p + t * batch * width, batch: batch)
            let active = lengths.map { lengths in (0..<batch).map { t < lengths[$0] } }
            if let active {
                // Finished sequences keep their previous state.
                for b in 0..<batch where !active[b] {
                    for j in 0..<hidden {
                        nextH.pointer[b * hidden + j] = h.pointer[b * hidden + j]
                        nextC.pointer[b * hidden + j] = c.pointer[b * hidden + j]
                    }
                }
            }
            swap(&h, &nextH)
            swap(&c, &nextC)
            if let outputs {
                let row = outputs + t * batch * hidden
                for b in 0..<batch {
                    let live = active?[b] ?? true
                    for j in 0..<hidden { row[b * hidden + j] = live ? h.pointer[b * hidden + j] : 0 }
                }
            }
        }
        for i in 0..<(batch * hidden) { finalH[i] = h.pointer[i] }
    }

    /// One time step on the projected rows of step t: reads `h`/`c`, writes `nextH`/`nextC`.
    private func step(rows: UnsafeMutablePointer<Float>, batch: Int) {
        let hidden = hiddenSize, width = gateCount * hidden
        let bf16 = precision == .bf16
        let state = h.pointer
        switch kind {
        case .lstm:
            recurrentProduct(into: rows, state: state, batch: batch, bf16: bf16)
            FusedKernels.lstmForward(
                batch: batch, hidden: hidden, gates: rows, previousC: c.pointer, c: nextC.pointer,
                tanhC: scratch.pointer, h: nextH.pointer)
        case .gru:
            let q = scratch.pointer
            recurrentBias.withUnsafeBufferPointer { bias in
                for b in 0..<batch {
                    for j in 0..<width { q[b * width + j] = bias[j] }
                }
            }
            recurrentProduct(into: q, state: state, batch: batch, bf16: bf16)
            FusedKernels.gruForward(
                batch: batch, hidden: hidden, p: rows, q: q, previousH: state, gates: gates.pointer, h: nextH.pointer)
        case .elman(let activation):
            recurrentProduct(into: rows, state: state, batch: batch, bf16: bf16)
            switch activation {
            case .sigmoid: FusedKernels.sigmoid(rows, count: batch * hidden)
            case .tanh: FusedKernels.tanh(rows, count: batch * hidden)
            }
            nextH.pointer.update(from: rows, count: batch * hidden)
        }
    }

    /// Batch 1, the whole sequence: the fused C steps split over the kernels' pool by hidden units, in one job.
    private func unrollOne(
        projected: UnsafeMutablePointer<Float>, steps: Int, outputs: UnsafeMutablePointer<Float>?,
        finalH: UnsafeMutablePointer<Float>
    ) {
        let bf16 = precision == .bf16
        let run = { (w: UnsafeRawPointer) in
            self.recurrentBias.withUnsafeBufferPointer { bias in
                FusedKernels.recurrentUnroll1(
                    kind: self.stepKind, hidden: self.hiddenSize, steps: steps, weights: w, weightsBF16: bf16,
                    recurrentBias: bias.baseAddress, projected: projected, scratch: self.scratch.pointer,
                    gateOutput: self.gates.pointer, previousH: self.h.pointer, previousC: self.c.pointer,
                    h: self.nextH.pointer, c: self.nextC.pointer, outputs: outputs, finalH: finalH,
                    split: self.splitSteps)
            }
        }
        if bf16 {
            recurrentWeightsBF16.withUnsafeBytes { run($0.baseAddress!) }
        } else {
            recurrentWeights.withUnsafeBytes { run($0.baseAddress!) }
        }
    }

    private var stepKind: FusedKernels.StepCellKind {
        switch kind {
        case .lstm: .lstm
        case .gru: .gru
        case .elman(.sigmoid): .elmanSigmoid
        case .elman(.tanh): .elmanTanh
        }
    }

    /// `out += h·Whᵀ` for `batch` > 1 rows (batch 1 goes through `unrollOne`).
    private func recurrentProduct(into out: UnsafeMutablePointer<Float>, state: UnsafePointer<Float>, batch: Int, bf16: Bool) {
        let hidden = hiddenSize, width = gateCount * hidden
        if bf16 && !packedRecurrentWeights.isEmpty {
            packedRecurrentWeights.withUnsafeBufferPointer { w in
                FusedKernels.gemmBF16(
                    m: batch, n: width, k: hidden, a: state, lda: hidden, packedB: w.baseAddress!, c: out, ldc: width,
                    accumulate: true)
            }
        } else {
            recurrentWeights.withUnsafeBufferPointer { w in
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: batch, n: width, k: hidden, alpha: 1, a: state, lda: hidden,
                    b: w.baseAddress!, ldb: hidden, beta: 1, c: out, ldc: width)
            }
        }
    }
}

/// A growable float buffer with a stable pointer between growths, freed with its owner.
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 16
        pointer = .allocate(capacity: capacity)
    }

    /// Makes room for `count` floats (contents are not kept across a growth) and returns the pointer.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }

    func zero(_ count: Int) { pointer.initialize(repeating: 0, count: count) }

    deinit { pointer.deallocate() }
}
