#if canImport(Glibc)
import Glibc
#endif
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

    /// Keys: `wx` `[4H, D]` (= PyTorch `weight_ih`), `wh` `[4H, H]` (`weight_hh`), `bx` `[4H]` (`bias_ih`),
    /// `bh` `[4H]` (`bias_hh`); rows in gate order i, f, g, o.
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
        let previous: LSTMState
        /// `[B, 4H]`: i, f, g, o after their nonlinearities.
        let gates: Tensor
        /// `[B, H]`: tanh(c').
        let cellTanh: Tensor
    }

    public func resized(inputSize: Int, hiddenSize: Int) -> LSTMCell {
        LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize)
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let g = 4 * hiddenSize
        return Parameters(
            wx: .uniform([g, inputSize], bound: bound, using: &generator),
            wh: .uniform([g, hiddenSize], bound: bound, using: &generator),
            bx: .uniform([g], bound: bound, using: &generator),
            bh: .uniform([g], bound: bound, using: &generator))
    }

    public func zeroState(batchSize: Int) -> LSTMState {
        LSTMState(h: .zeros([batchSize, hiddenSize]), c: .zeros([batchSize, hiddenSize]))
    }

    public func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "LSTMCell.projectInput: x \(x.shape), inputSize \(inputSize)")
        return affineForward(x, weight: parameters.wx, bias: parameters.bx)
    }

    public func step(
        projected: Tensor, state: LSTMState, parameters: Parameters
    ) -> (state: LSTMState, cache: StepCache) {
        let batch = state.h.rowCount, h = hiddenSize
        precondition(projected.shape == [batch, 4 * h], "LSTMCell.step: projected \(projected.shape)")
        var gates = projected
        gemm(state.h, parameters.wh, transposeB: true, into: &gates, beta: 1)
        gates.addRowVector(parameters.bh)
        var nextC = Tensor.zeros([batch, h])
        var nextH = Tensor.zeros([batch, h])
        var cellTanh = Tensor.zeros([batch, h])
        for b in 0..<batch {
            let row = b * 4 * h
            for j in 0..<h {
                let i = stmSigmoid(gates[flat: row + j])
                let f = stmSigmoid(gates[flat: row + h + j])
                let g = tanhf(gates[flat: row + 2 * h + j])
                let o = stmSigmoid(gates[flat: row + 3 * h + j])
                gates[flat: row + j] = i
                gates[flat: row + h + j] = f
                gates[flat: row + 2 * h + j] = g
                gates[flat: row + 3 * h + j] = o
                let c = f * state.c[flat: b * h + j] + i * g
                let tc = tanhf(c)
                nextC[flat: b * h + j] = c
                cellTanh[flat: b * h + j] = tc
                nextH[flat: b * h + j] = o * tc
            }
        }
        return (LSTMState(h: nextH, c: nextC), StepCache(previous: state, gates: gates, cellTanh: cellTanh))
    }

    public func stepBackward(
        dState: LSTMState, cache: StepCache, parameters: Parameters, gradients: inout Parameters
    ) -> (dProjected: Tensor, dState: LSTMState) {
        let batch = dState.h.rowCount, h = hiddenSize
        var dGates = Tensor.zeros([batch, 4 * h])
        var dPreviousC = Tensor.zeros([batch, h])
        for b in 0..<batch {
            let row = b * 4 * h
            for j in 0..<h {
                let i = cache.gates[flat: row + j]
                let f = cache.gates[flat: row + h + j]
                let g = cache.gates[flat: row + 2 * h + j]
                let o = cache.gates[flat: row + 3 * h + j]
                let tc = cache.cellTanh[flat: b * h + j]
                let dh = dState.h[flat: b * h + j]
                let dc = dState.c[flat: b * h + j] + dh * o * (1 - tc * tc)
                dGates[flat: row + j] = dc * g * i * (1 - i)
                dGates[flat: row + h + j] = dc * cache.previous.c[flat: b * h + j] * f * (1 - f)
                dGates[flat: row + 2 * h + j] = dc * i * (1 - g * g)
                dGates[flat: row + 3 * h + j] = dh * tc * o * (1 - o)
                dPreviousC[flat: b * h + j] = dc * f
            }
        }
        let dPreviousH = affineBackward(
            dOut: dGates, input: cache.previous.h, weight: parameters.wh, dWeight: &gradients.wh, dBias: &gradients.bh)
        return (dGates, LSTMState(h: dPreviousH, c: dPreviousC))
    }

    public func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        affineBackward(dOut: dProjected, input: input, weight: parameters.wx, dWeight: &gradients.wx, dBias: &gradients.bx)
    }
}
