#if canImport(Glibc)
import Glibc
#endif
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

    /// Keys: `wx` `[3H, D]` (= PyTorch `weight_ih`), `wh` `[3H, H]` (`weight_hh`), `bx` `[3H]` (`bias_ih`),
    /// `bh` `[3H]` (`bias_hh`); rows in gate order r, z, n.
    public struct Parameters: ParameterGroup {
        public var wx: Tensor
        public var wh: Tensor
        public var bx: Tensor
        public var bh: Tensor

        public init(wx: Tensor, wh: Tensor, bx: Tensor, bh: Tensor) {
            self.wx = wx
            self.wh = wh
            self.bx = bx
            self.bh = bh
        }

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try body(prefix + "wx", &wx)
            try body(prefix + "wh", &wh)
            try body(prefix + "bx", &bx)
            try body(prefix + "bh", &bh)
        }
    }

    public struct StepCache: Sendable {
        let previous: Tensor
        /// `[B, 3H]`: r, z, n after their nonlinearities.
        let gates: Tensor
        /// `[B, H]`: Wh_n·h + bh_n, which the reset gate multiplied.
        let recurrentCandidate: Tensor
    }

    public func resized(inputSize: Int, hiddenSize: Int) -> GRUCell {
        GRUCell(inputSize: inputSize, hiddenSize: hiddenSize)
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let g = 3 * hiddenSize
        return Parameters(
            wx: .uniform([g, inputSize], bound: bound, using: &generator),
            wh: .uniform([g, hiddenSize], bound: bound, using: &generator),
            bx: .uniform([g], bound: bound, using: &generator),
            bh: .uniform([g], bound: bound, using: &generator))
    }

    public func zeroState(batchSize: Int) -> Tensor { .zeros([batchSize, hiddenSize]) }

    public func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "GRUCell.projectInput: x \(x.shape), inputSize \(inputSize)")
        return affineForward(x, weight: parameters.wx, bias: parameters.bx)
    }

    public func step(projected: Tensor, state: Tensor, parameters: Parameters) -> (state: Tensor, cache: StepCache) {
        let batch = state.rowCount, h = hiddenSize
        precondition(projected.shape == [batch, 3 * h] && state.columnCount == h, "GRUCell.step: \(projected.shape), \(state.shape)")
        let recurrent = affineForward(state, weight: parameters.wh, bias: parameters.bh)
        var gates = Tensor.zeros([batch, 3 * h])
        var candidate = Tensor.zeros([batch, h])
        var next = Tensor.zeros([batch, h])
        for b in 0..<batch {
            let row = b * 3 * h
            for j in 0..<h {
                let r = stmSigmoid(projected[flat: row + j] + recurrent[flat: row + j])
                let z = stmSigmoid(projected[flat: row + h + j] + recurrent[flat: row + h + j])
                let hn = recurrent[flat: row + 2 * h + j]
                let n = tanhf(projected[flat: row + 2 * h + j] + r * hn)
                gates[flat: row + j] = r
                gates[flat: row + h + j] = z
                gates[flat: row + 2 * h + j] = n
                candidate[flat: b * h + j] = hn
                next[flat: b * h + j] = (1 - z) * n + z * state[flat: b * h + j]
            }
        }
        return (next, StepCache(previous: state, gates: gates, recurrentCandidate: candidate))
    }

    public func stepBackward(
        dState: Tensor, cache: StepCache, parameters: Parameters, gradients: inout Parameters
    ) -> (dProjected: Tensor, dState: Tensor) {
        let batch = dState.rowCount, h = hiddenSize
        var dProjected = Tensor.zeros([batch, 3 * h])
        var dRecurrent = Tensor.zeros([batch, 3 * h])
        var dPrevious = Tensor.zeros([batch, h])
        for b in 0..<batch {
            let row = b * 3 * h
            for j in 0..<h {
                let dh = dState[flat: b * h + j]
                let r = cache.gates[flat: row + j]
                let z = cache.gates[flat: row + h + j]
                let n = cache.gates[flat: row + 2 * h + j]
                let previous = cache.previous[flat: b * h + j]
                let dz = dh * (previous - n)
                let dn = dh * (1 - z)
                let daN = dn * (1 - n * n)
                let dr = daN * cache.recurrentCandidate[flat: b * h + j]
                let daR = dr * r * (1 - r)
                let daZ = dz * z * (1 - z)
                dProjected[flat: row + j] = daR
                dProjected[flat: row + h + j] = daZ
                dProjected[flat: row + 2 * h + j] = daN
                dRecurrent[flat: row + j] = daR
                dRecurrent[flat: row + h + j] = daZ
                dRecurrent[flat: row + 2 * h + j] = daN * r
                dPrevious[flat: b * h + j] = dh * z
            }
        }
        let dFromRecurrent = affineBackward(
            dOut: dRecurrent, input: cache.previous, weight: parameters.wh, dWeight: &gradients.wh, dBias: &gradients.bh)
        dPrevious.add(dFromRecurrent)
        return (dProjected, dPrevious)
    }

    public func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        affineBackward(dOut: dProjected, input: input, weight: parameters.wx, dWeight: &gradients.wx, dBias: &gradients.bx)
    }
}
