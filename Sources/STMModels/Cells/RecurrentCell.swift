public import STMTensor

/// The state a recurrent cell carries between steps: the hidden output `h`, plus whatever else the cell keeps
/// (the LSTM's memory cell `c`). Every component is a `[batch, hidden]` matrix.
public protocol RecurrentState: Sendable {
    /// The part emitted as the layer's output at each step.
    var output: Tensor { get set }
    /// All components, `output` first, for row-wise operations shared by every cell (masking, decay).
    var components: [Tensor] { get }
    init(components: [Tensor])
}

extension Tensor: RecurrentState {
    public var output: Tensor {
        get { self }
        set { self = newValue }
    }
    public var components: [Tensor] { [self] }
    public init(components: [Tensor]) { self = components[0] }
}

extension RecurrentState {
    /// Row `b` from `self` where `keep[b]`, from `other` elsewhere. Padded positions of a batch keep their
    /// previous state this way, so a sequence's final state is the one after its last real token.
    public func selectingRows(_ keep: [Bool], otherwise other: Self) -> Self {
        Self(components: zip(components, other.components).map { mine, theirs in
            var out = mine
            let columns = mine.columnCount
            for row in keep.indices where !keep[row] {
                for column in 0..<columns { out[row, column] = theirs[row, column] }
            }
            return out
        })
    }

    /// Rows where `keep[b]` is false set to zero.
    public func zeroingRows(where keep: [Bool], equals value: Bool) -> Self {
        Self(components: components.map { component in
            var out = component
            let columns = component.columnCount
            for row in keep.indices where keep[row] == value {
                for column in 0..<columns { out[row, column] = 0 }
            }
            return out
        })
    }

    /// Component-wise sum.
    public static func adding(_ lhs: Self, _ rhs: Self) -> Self {
        Self(components: zip(lhs.components, rhs.components).map { $0 + $1 })
    }

    /// All components zero, with the shapes of `self`.
    public func zeroed() -> Self {
        Self(components: components.map { Tensor.zeros($0.shape) })
    }
}

/// One step of a recurrent network, split so that the input half of the work can be batched over a whole
/// sequence: `projectInput` turns `[N, inputSize]` rows into `[N, gateCount·hiddenSize]` pre-activations in one
/// GEMM, and `step` adds the recurrent half for one time step. Backward mirrors both halves.
///
/// Cells hold no weights: they are a shape and a formula; the weights travel as `Parameters`, which is also
/// the gradient type. Backward *accumulates* into `gradients` (+=).
public protocol RecurrentCell: Sendable {
    associatedtype Parameters: ParameterGroup
    associatedtype State: RecurrentState
    /// What `stepBackward` needs from `step`, stored explicitly.
    associatedtype StepCache: Sendable

    var inputSize: Int { get }
    var hiddenSize: Int { get }

    /// A cell of the same kind and settings with other sizes (the layers of a stack differ in input width).
    func resized(inputSize: Int, hiddenSize: Int) -> Self

    /// The weights packed for inference-only unrolling (`RecurrentRunner`).
    func makeRunner(parameters: Parameters, precision: WeightPrecision) -> RecurrentRunner

    /// Fresh weights, uniform in ±1/√hiddenSize (PyTorch's initialisation for recurrent layers).
    func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters

    func zeroState(batchSize: Int) -> State

    /// `x · Wxᵀ + bx` for every row of `x` (`[N, inputSize]` → `[N, gates·hiddenSize]`).
    func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor

    /// The recurrent weights arranged for the time steps of one unroll (made once per forward pass).
    func stepWeights(_ parameters: Parameters) -> StepWeights

    /// One time step from projected input rows `[B, gates·hiddenSize]` (consumed: a cell may write its
    /// pre-activations into that buffer instead of copying it), with `stepWeights(parameters)`.
    func step(
        projected: consuming Tensor, state: State, parameters: Parameters, stepWeights: StepWeights
    ) -> (state: State, cache: StepCache)

    /// Given the gradient with respect to the new state (its `output` already including the gradient of the
    /// step's output), returns the gradients for the projected input, for the recurrent pre-activation
    /// (`h·Whᵀ + bh`, whatever part of it the cell has; nil when it is the projected input's, as in an LSTM,
    /// which saves a copy per step) and for the previous state. The recurrent weights' gradients are not
    /// accumulated here: `accumulateRecurrentGradients` does it for all steps at once.
    func stepBackward(
        dState: State, cache: StepCache, parameters: Parameters
    ) -> (dProjected: Tensor, dRecurrent: Tensor?, dState: State)

    /// `dWh += dRecurrentᵀ · previousOutputs` (and the recurrent bias, where the cell has one) for the stacked
    /// rows of every step: one GEMM with K = T·B instead of one small GEMM per step.
    func accumulateRecurrentGradients(dRecurrent: Tensor, previousOutputs: Tensor, gradients: inout Parameters)

    /// Backward of `projectInput`: accumulates the input weights' gradients and returns `dx`.
    func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor
}

/// What `forward` keeps for `backward` on a single step.
public struct CellStepCache<StepCache: Sendable>: Sendable {
    public let input: Tensor
    public let previousOutput: Tensor
    public let step: StepCache
}

/// `Whᵀ`, `[hiddenSize, gates·hiddenSize]`, for the per-step product `h·Whᵀ`: oneDNN runs that small GEMM
/// (16–32 rows) 1.1–1.8× faster from a matrix laid out this way than from `Wh` with a transpose flag (measured
/// on this machine for H = 256 and 512), and one copy per forward pass costs less than one step.
public struct StepWeights: Sendable {
    public let recurrentTransposed: Tensor

    public init(recurrent wh: Tensor) { recurrentTransposed = wh.transposed() }
}

extension RecurrentCell {
    /// One time step on its own (the weights arranged for it on the spot).
    public func step(projected: consuming Tensor, state: State, parameters: Parameters) -> (state: State, cache: StepCache) {
        step(projected: projected, state: state, parameters: parameters, stepWeights: stepWeights(parameters))
    }

    /// A full single step from raw input `x: [B, inputSize]`.
    public func forward(
        _ x: Tensor, state: State, parameters: Parameters
    ) -> (output: Tensor, state: State, cache: CellStepCache<StepCache>) {
        let projected = projectInput(x, parameters: parameters)
        let (next, cache) = step(projected: projected, state: state, parameters: parameters)
        return (next.output, next, CellStepCache(input: x, previousOutput: state.output, step: cache))
    }

    /// Backward of `forward`: `dOutput` and `dState` are the gradients of the step's output and new state.
    public func backward(
        dOutput: Tensor, dState: State, cache: CellStepCache<StepCache>,
        parameters: Parameters, gradients: inout Parameters
    ) -> (dInput: Tensor, dState: State) {
        var total = dState
        total.output.add(dOutput)
        let (dProjected, dRecurrent, dPrevious) = stepBackward(dState: total, cache: cache.step, parameters: parameters)
        accumulateRecurrentGradients(
            dRecurrent: dRecurrent ?? dProjected, previousOutputs: cache.previousOutput, gradients: &gradients)
        let dInput = projectInputBackward(
            dProjected: dProjected, input: cache.input, parameters: parameters, gradients: &gradients)
        return (dInput, dPrevious)
    }
}

/// The input half every cell shares: `P = x · Wxᵀ + bx`, and its backward.
@usableFromInline
func affineForward(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    // The bias goes in first and the GEMM adds to it (beta = 1): one pass over the output fewer.
    var out = Tensor.repeatingRows(bias, count: x.rowCount)
    gemm(x, weight, transposeB: true, into: &out, beta: 1)
    return out
}

/// Backward of `affineForward`: `dW += dPᵀ·x`, `db += Σ_rows dP`, returns `dx = dP·W`.
@usableFromInline
func affineBackward(
    dOut: Tensor, input: Tensor, weight: Tensor, dWeight: inout Tensor, dBias: inout Tensor
) -> Tensor {
    var none = Tensor(shape: [0])
    return affineBackward(dOut: dOut, input: input, weight: weight, dWeight: &dWeight, dBias: &dBias, alsoBias: &none)
}

/// The same, adding `Σ_rows dP` to a second bias as well (an LSTM's `bh`, which enters where `bx` does), so
/// the rows are summed once; an empty `alsoBias` is left alone.
@usableFromInline
func affineBackward(
    dOut: Tensor, input: Tensor, weight: Tensor, dWeight: inout Tensor, dBias: inout Tensor, alsoBias: inout Tensor
) -> Tensor {
    gemm(dOut, transposeA: true, input, into: &dWeight, beta: 1)
    let biasGradient = dOut.sumRows()
    dBias.add(biasGradient)
    if alsoBias.count > 0 { alsoBias.add(biasGradient) }
    var dInput = Tensor.unfilled([input.rowCount, input.columnCount])
    gemm(dOut, weight, into: &dInput)
    return dInput
}
