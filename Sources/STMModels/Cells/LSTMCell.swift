public import STMTensor

/// The hidden output `h` and the memory cell `c` of an LSTM, each `[batch, hidden]`.
public struct LSTMState: RecurrentState, Equatable {
    public var h: Tensor
    public var c: Tensor

    public init(h: Tensor, c: Tensor) {
        self.h = h
        self.c = c
    }

    public var output: Tensor {
        get { h }
        set { h = newValue }
    }
    public var components: [Tensor] { [h, c] }
    public init(components: [Tensor]) { self.init(h: components[0], c: components[1]) }
}

/// Long short-term memory in PyTorch's formulation (gate order i, f, g, o):
///
///     [i, f, g, o] = [σ, σ, tanh, σ](Wx·x + bx + Wh·h + bh)
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
public struct LSTMCell: RecurrentCell {
    public let inputSize: Int
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// Weights in gate order i, f, g, o (see `GatedCellParameters` for keys and shapes).
    public typealias Parameters = GatedCellParameters

    public struct StepCache: Sendable {
        let previous: LSTMState
        /// `[B, 4H]`: i, f, g, o after their nonlinearities.
        let gates: Tensor
        /// `[B, H]`: tanh(c').
        let cellTanh: Tensor
    }

    public func resized(inputSize: Int, hiddenSize: Int) -> LSTMCell {
        LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize)
    }

    public func makeRunner(parameters: Parameters, precision: WeightPrecision) -> RecurrentRunner {
        RecurrentRunner(
            kind: .lstm, wx: parameters.wx, wh: parameters.wh, bx: parameters.bx, bh: parameters.bh,
            separateRecurrentBias: false, precision: precision)
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        GatedCellParameters(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, using: &generator)
    }

    public func zeroState(batchSize: Int) -> LSTMState {
        LSTMState(h: .zeros([batchSize, hiddenSize]), c: .zeros([batchSize, hiddenSize]))
    }

    public func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "LSTMCell.projectInput: x \(x.shape), inputSize \(inputSize)")
        // Both biases are added here, once for all steps: nothing gates bh separately in an LSTM, and both get
        // the same gradient (Σ dGates), summed once in projectInputBackward.
        return affineForward(x, weight: parameters.wx, bias: parameters.bx + parameters.bh)
    }

    public func stepWeights(_ parameters: Parameters) -> StepWeights { StepWeights(recurrent: parameters.wh) }

    public func step(
        projected: consuming Tensor, state: LSTMState, parameters: Parameters, stepWeights: StepWeights
    ) -> (state: LSTMState, cache: StepCache) {
        let batch = state.h.rowCount, h = hiddenSize
        precondition(projected.shape == [batch, 4 * h], "LSTMCell.step: projected \(projected.shape)")
        precondition(state.h.shape == [batch, h] && state.c.shape == [batch, h], "LSTMCell.step: state \(state.h.shape)")
        var gates = consume projected
        gemm(state.h, stepWeights.recurrentTransposed, into: &gates, beta: 1)
        var nextC = Tensor.unfilled([batch, h])
        var nextH = Tensor.unfilled([batch, h])
        var cellTanh = Tensor.unfilled([batch, h])
        gates.scalars.withUnsafeMutableBufferPointer { g in
            state.c.scalars.withUnsafeBufferPointer { previousC in
                nextC.scalars.withUnsafeMutableBufferPointer { c in
                    cellTanh.scalars.withUnsafeMutableBufferPointer { t in
                        nextH.scalars.withUnsafeMutableBufferPointer { out in
                            FusedKernels.lstmForward(
                                batch: batch, hidden: h, gates: g.baseAddress!, previousC: previousC.baseAddress!,
                                c: c.baseAddress!, tanhC: t.baseAddress!, h: out.baseAddress!)
                        }
                    }
                }
            }
        }
        return (LSTMState(h: nextH, c: nextC), StepCache(previous: state, gates: gates, cellTanh: cellTanh))
    }

    public func stepBackward(
        dState: LSTMState, cache: StepCache, parameters: Parameters
    ) -> (dProjected: Tensor, dRecurrent: Tensor?, dState: LSTMState) {
        let batch = dState.h.rowCount, h = hiddenSize
        var dGates = Tensor.unfilled([batch, 4 * h])
        var dPreviousC = Tensor.unfilled([batch, h])
        cache.gates.scalars.withUnsafeBufferPointer { g in
            cache.previous.c.scalars.withUnsafeBufferPointer { previousC in
                cache.cellTanh.scalars.withUnsafeBufferPointer { t in
                    dState.h.scalars.withUnsafeBufferPointer { dH in
                        dState.c.scalars.withUnsafeBufferPointer { dC in
                            dGates.scalars.withUnsafeMutableBufferPointer { dG in
                                dPreviousC.scalars.withUnsafeMutableBufferPointer { dPC in
                                    FusedKernels.lstmBackward(
                                        batch: batch, hidden: h, gates: g.baseAddress!, previousC: previousC.baseAddress!,
                                        tanhC: t.baseAddress!, dH: dH.baseAddress!, dC: dC.baseAddress!,
                                        dGates: dG.baseAddress!, dPreviousC: dPC.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        // The recurrent pre-activation enters the gates as the projected input does: one gradient for both.
        return (dGates, nil, LSTMState(h: matmul(dGates, parameters.wh), c: dPreviousC))
    }

    public func accumulateRecurrentGradients(dRecurrent: Tensor, previousOutputs: Tensor, gradients: inout Parameters) {
        gemm(dRecurrent, transposeA: true, previousOutputs, into: &gradients.wh, beta: 1)
    }

    public func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        affineBackward(
            dOut: dProjected, input: input, weight: parameters.wx, dWeight: &gradients.wx, dBias: &gradients.bx,
            alsoBias: &gradients.bh)
    }
}
