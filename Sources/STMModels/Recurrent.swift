public import STMTensor

/// Runs any cell over a time-major batch of sequences `[T, B, inputSize]`, and back again (BPTT).
///
/// Sequences of different lengths share a batch: with `lengths` given, steps at `t ≥ lengths[b]` leave
/// row `b`'s state as it was and emit zeros, so the final state of each sequence is the one after its last
/// real element and padding never reaches a gradient. The input projection of all `T·B` rows is one GEMM.
public struct Recurrent<Cell: RecurrentCell>: Sendable {
    public let cell: Cell

    public init(cell: Cell) { self.cell = cell }

    public struct Cache: Sendable {
        let input: Tensor
        /// `[T·B, H]`: the state output each step started from (for the one recurrent-weight GEMM in backward).
        let previousOutputs: Tensor
        let steps: [Cell.StepCache]
        /// `active[t][b]`: step `t` is a real element of sequence `b`; nil when every sequence is full length.
        let active: [[Bool]]?
    }

    /// - Returns: the per-step outputs `[T, B, H]` (zero at padded steps), the final state, and the cache.
    public func forward(
        _ input: Tensor, lengths: [Int]? = nil, initialState: Cell.State? = nil, parameters: Cell.Parameters
    ) -> (outputs: Tensor, finalState: Cell.State, cache: Cache) {
        precondition(input.rank == 3, "Recurrent.forward: input \(input.shape) is not [T, B, D]")
        let steps = input.shape[0], batch = input.shape[1], hidden = cell.hiddenSize
        let active = Recurrent.activity(steps: steps, batch: batch, lengths: lengths)
        let projected = cell.projectInput(input.reshaped([steps * batch, input.shape[2]]), parameters: parameters)
        var state = initialState ?? cell.zeroState(batchSize: batch)
        // Every step writes its rows of both (padded rows as zeros), so neither needs zeroing first.
        var outputs = Tensor.unfilled([steps, batch, hidden])
        var caches: [Cell.StepCache] = []
        caches.reserveCapacity(steps)
        var previousOutputs = Tensor.unfilled([steps * batch, hidden])
        let weights = cell.stepWeights(parameters)
        for t in 0..<steps {
            previousOutputs.setRows(startingAt: t * batch, from: state.output)
            let (next, cache) = cell.step(
                projected: projected.rows((t * batch)..<((t + 1) * batch)), state: state, parameters: parameters,
                stepWeights: weights)
            caches.append(cache)
            if let active {
                state = next.selectingRows(active[t], otherwise: state)
                outputs.setRows(startingAt: t * batch, from: next.zeroingRows(where: active[t], equals: false).output)
            } else {
                state = next
                outputs.setRows(startingAt: t * batch, from: next.output)
            }
        }
        return (outputs, state, Cache(input: input, previousOutputs: previousOutputs, steps: caches, active: active))
    }

    /// Backpropagation through time. `dOutputs` is `[T, B, H]`; `dFinalState` is the gradient of whatever
    /// read the final state (nil: nothing did).
    /// - Returns: the gradient of the input `[T, B, D]` and of the initial state.
    public func backward(
        dOutputs: Tensor, dFinalState: Cell.State? = nil, cache: Cache,
        parameters: Cell.Parameters, gradients: inout Cell.Parameters
    ) -> (dInput: Tensor, dInitialState: Cell.State) {
        let steps = cache.input.shape[0], batch = cache.input.shape[1]
        precondition(dOutputs.shape == [steps, batch, cell.hiddenSize], "Recurrent.backward: dOutputs \(dOutputs.shape)")
        var dState = dFinalState ?? cell.zeroState(batchSize: batch)
        // Filled row block by row block below (every step writes its rows); dRecurrent stays nil for cells whose
        // recurrent gradient is dProjected itself.
        var dProjected = Tensor.zeros([steps * batch, 0])
        var dRecurrent: Tensor?
        for t in (0..<steps).reversed() {
            var dOutput = dOutputs.rows((t * batch)..<((t + 1) * batch))
            var dNew = dState
            var dCarried: Cell.State?
            if let active = cache.active {
                dOutput = dOutput.zeroingRows(where: active[t], equals: false)
                dNew = dState.zeroingRows(where: active[t], equals: false)
                dCarried = dState.zeroingRows(where: active[t], equals: true)
            }
            dNew.output.add(dOutput)
            let (dStep, dStepRecurrent, dPrevious) = cell.stepBackward(
                dState: dNew, cache: cache.steps[t], parameters: parameters)
            if dProjected.columnCount == 0 {
                dProjected = Tensor.unfilled([steps * batch, dStep.columnCount])
                if let dStepRecurrent { dRecurrent = Tensor.unfilled([steps * batch, dStepRecurrent.columnCount]) }
            }
            dProjected.setRows(startingAt: t * batch, from: dStep)
            if let dStepRecurrent { dRecurrent!.setRows(startingAt: t * batch, from: dStepRecurrent) }
            dState = dCarried.map { Cell.State.adding(dPrevious, $0) } ?? dPrevious
        }
        if steps > 0 {
            cell.accumulateRecurrentGradients(
                dRecurrent: dRecurrent ?? dProjected, previousOutputs: cache.previousOutputs, gradients: &gradients)
        }
        let dInput = cell.projectInputBackward(
            dProjected: dProjected, input: cache.input.reshaped([steps * batch, cache.input.shape[2]]),
            parameters: parameters, gradients: &gradients)
        return (dInput.reshaped(cache.input.shape), dState)
    }

    /// Which steps are real for each sequence; nil when no sequence is padded.
    static func activity(steps: Int, batch: Int, lengths: [Int]?) -> [[Bool]]? {
        guard let lengths else { return nil }
        precondition(lengths.count == batch, "Recurrent: \(lengths.count) lengths for a batch of \(batch)")
        precondition(lengths.allSatisfy { $0 >= 0 && $0 <= steps }, "Recurrent: lengths \(lengths) outside 0...\(steps)")
        if lengths.allSatisfy({ $0 == steps }) { return nil }
        return (0..<steps).map { t in lengths.map { t < $0 } }
    }
}

extension Tensor {
    /// Reverses each sequence of a time-major batch `[T, B, F]` within its own length; padding stays at the end.
    /// Its own inverse: the backward direction of a bidirectional layer reads and writes through it.
    public func reversingSequences(lengths: [Int]?) -> Tensor {
        precondition(rank == 3, "reversingSequences: \(shape) is not [T, B, F]")
        let steps = shape[0], batch = shape[1], features = shape[2]
        let lengths = lengths ?? [Int](repeating: steps, count: batch)
        var out = self
        for b in 0..<batch {
            let length = lengths[b]
            for t in 0..<length {
                let source = ((length - 1 - t) * batch + b) * features
                let target = (t * batch + b) * features
                for f in 0..<features { out[flat: target + f] = self[flat: source + f] }
            }
        }
        return out
    }
}
