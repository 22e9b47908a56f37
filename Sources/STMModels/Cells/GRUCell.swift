public import STMTensor

/// Gated recurrent unit in PyTorch's formulation (gate order r, z, n; the reset gate scales the recurrent
/// half of the candidate *after* its matrix product):
///
///     r = σ(Wx_r·x + bx_r + Wh_r·h + bh_r)
///     z = σ(Wx_z·x + bx_z + Wh_z·h + bh_z)
///     n = tanh(Wx_n·x + bx_n + r ⊙ (Wh_n·h + bh_n))
///     h' = (1 − z) ⊙ n + z ⊙ h
public struct GRUCell: RecurrentCell {
    public let inputSize: Int
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// Weights in gate order r, z, n (see `GatedCellParameters` for keys and shapes).
    public typealias Parameters = GatedCellParameters

    public struct StepCache: Sendable {
        let previous: Tensor
        /// `[B, 3H]`: r, z, n after their nonlinearities.
        let gates: Tensor
        /// `[B, 3H]`: Wh·h + bh; the reset gate multiplied its n block.
        let recurrent: Tensor
    }

    public func resized(inputSize: Int, hiddenSize: Int) -> GRUCell {
        GRUCell(inputSize: inputSize, hiddenSize: hiddenSize)
    }

    public func makeRunner(parameters: Parameters, precision: WeightPrecision) -> RecurrentRunner {
        RecurrentRunner(
            kind: .gru, wx: parameters.wx, wh: parameters.wh, bx: parameters.bx, bh: parameters.bh,
            separateRecurrentBias: true, precision: precision)
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        GatedCellParameters(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, using: &generator)
    }

    public func zeroState(batchSize: Int) -> Tensor { .zeros([batchSize, hiddenSize]) }

    public func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "GRUCell.projectInput: x \(x.shape), inputSize \(inputSize)")
        return affineForward(x, weight: parameters.wx, bias: parameters.bx)
    }

    public func stepWeights(_ parameters: Parameters) -> StepWeights { StepWeights(recurrent: parameters.wh) }

    public func step(
        projected: consuming Tensor, state: Tensor, parameters: Parameters, stepWeights: StepWeights
    ) -> (state: Tensor, cache: StepCache) {
        let batch = state.rowCount, h = hiddenSize
        precondition(projected.shape == [batch, 3 * h] && state.columnCount == h, "GRUCell.step: \(projected.shape), \(state.shape)")
        var recurrent = Tensor.repeatingRows(parameters.bh, count: batch)
        gemm(state, stepWeights.recurrentTransposed, into: &recurrent, beta: 1)
        var gates = Tensor.unfilled([batch, 3 * h])
        var next = Tensor.unfilled([batch, h])
        projected.scalars.withUnsafeBufferPointer { p in
            recurrent.scalars.withUnsafeBufferPointer { q in
                state.scalars.withUnsafeBufferPointer { previous in
                    gates.scalars.withUnsafeMutableBufferPointer { g in
                        next.scalars.withUnsafeMutableBufferPointer { out in
                            FusedKernels.gruForward(
                                batch: batch, hidden: h, p: p.baseAddress!, q: q.baseAddress!,
                                previousH: previous.baseAddress!, gates: g.baseAddress!, h: out.baseAddress!)
                        }
                    }
                }
            }
        }
        return (next, StepCache(previous: state, gates: gates, recurrent: recurrent))
    }

    public func stepBackward(
        dState: Tensor, cache: StepCache, parameters: Parameters
    ) -> (dProjected: Tensor, dRecurrent: Tensor?, dState: Tensor) {
        let batch = dState.rowCount, h = hiddenSize
        // The kernel writes every element of all three; the GEMM below then adds to dPrevious.
        var dProjected = Tensor.unfilled([batch, 3 * h])
        var dRecurrent = Tensor.unfilled([batch, 3 * h])
        var dPrevious = Tensor.unfilled([batch, h])
        cache.gates.scalars.withUnsafeBufferPointer { g in
            cache.recurrent.scalars.withUnsafeBufferPointer { q in
                cache.previous.scalars.withUnsafeBufferPointer { previous in
                    dState.scalars.withUnsafeBufferPointer { dH in
                        dProjected.scalars.withUnsafeMutableBufferPointer { dP in
                            dRecurrent.scalars.withUnsafeMutableBufferPointer { dQ in
                                dPrevious.scalars.withUnsafeMutableBufferPointer { dHP in
                                    FusedKernels.gruBackward(
                                        batch: batch, hidden: h, gates: g.baseAddress!, q: q.baseAddress!,
                                        previousH: previous.baseAddress!, dH: dH.baseAddress!, dP: dP.baseAddress!,
                                        dQ: dQ.baseAddress!, dPreviousH: dHP.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        gemm(dRecurrent, parameters.wh, into: &dPrevious, beta: 1)
        return (dProjected, dRecurrent, dPrevious)
    }

    public func accumulateRecurrentGradients(dRecurrent: Tensor, previousOutputs: Tensor, gradients: inout Parameters) {
        gemm(dRecurrent, transposeA: true, previousOutputs, into: &gradients.wh, beta: 1)
        gradients.bh.add(dRecurrent.sumRows())
    }

    public func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        affineBackward(dOut: dProjected, input: input, weight: parameters.wx, dWeight: &gradients.wx, dBias: &gradients.bx)
    }
}
