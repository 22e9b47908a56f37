public import STMTensor

/// The seed's Elman cell, exactly: `h_t = f(W_hh·h_{t−1} + W_hx·x_t + b_h)` with `f` = σ (as in the formula)
/// or tanh. One bias, as written; a PyTorch `nn.RNN` file maps with `b = bias_ih + bias_hh`.
public struct ElmanCell: RecurrentCell {
    public let inputSize: Int
    public let hiddenSize: Int
    public let activation: Activation

    public init(inputSize: Int, hiddenSize: Int, activation: Activation = .sigmoid) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.activation = activation
    }

    /// Keys: `wx` = W_hx `[H, D]`, `wh` = W_hh `[H, H]`, `b` = b_h `[H]`.
    public struct Parameters: ParameterGroup {
        public var wx: Tensor
        public var wh: Tensor
        public var b: Tensor

        public init(wx: Tensor, wh: Tensor, b: Tensor) {
            self.wx = wx
            self.wh = wh
            self.b = b
        }

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try body(prefix + "wx", &wx)
            try body(prefix + "wh", &wh)
            try body(prefix + "b", &b)
        }
    }

    /// The previous and the new hidden state.
    public struct StepCache: Sendable {
        let previous: Tensor
        let next: Tensor
    }

    public func resized(inputSize: Int, hiddenSize: Int) -> ElmanCell {
        ElmanCell(inputSize: inputSize, hiddenSize: hiddenSize, activation: activation)
    }

    public func makeRunner(parameters: Parameters, precision: WeightPrecision) -> RecurrentRunner {
        RecurrentRunner(
            kind: .elman(activation), wx: parameters.wx, wh: parameters.wh, bx: parameters.b, bh: nil,
            separateRecurrentBias: false, precision: precision)
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        let bound = 1 / Float(hiddenSize).squareRoot()
        return Parameters(
            wx: .uniform([hiddenSize, inputSize], bound: bound, using: &generator),
            wh: .uniform([hiddenSize, hiddenSize], bound: bound, using: &generator),
            b: .uniform([hiddenSize], bound: bound, using: &generator))
    }

    public func zeroState(batchSize: Int) -> Tensor { .zeros([batchSize, hiddenSize]) }

    public func projectInput(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "ElmanCell.projectInput: x \(x.shape), inputSize \(inputSize)")
        return affineForward(x, weight: parameters.wx, bias: parameters.b)
    }

    public func stepWeights(_ parameters: Parameters) -> StepWeights { StepWeights(recurrent: parameters.wh) }

    public func step(
        projected: consuming Tensor, state: Tensor, parameters: Parameters, stepWeights: StepWeights
    ) -> (state: Tensor, cache: StepCache) {
        precondition(state.columnCount == hiddenSize, "ElmanCell.step: state \(state.shape)")
        var next = consume projected
        gemm(state, stepWeights.recurrentTransposed, into: &next, beta: 1)
        next = next.applying(activation)
        return (next, StepCache(previous: state, next: next))
    }

    public func stepBackward(
        dState: Tensor, cache: StepCache, parameters: Parameters
    ) -> (dProjected: Tensor, dRecurrent: Tensor?, dState: Tensor) {
        var dPre = dState
        for i in 0..<dPre.count {
            dPre[flat: i] *= activation.derivative(output: cache.next[flat: i])
        }
        return (dPre, nil, matmul(dPre, parameters.wh))
    }

    public func accumulateRecurrentGradients(dRecurrent: Tensor, previousOutputs: Tensor, gradients: inout Parameters) {
        gemm(dRecurrent, transposeA: true, previousOutputs, into: &gradients.wh, beta: 1)
    }

    public func projectInputBackward(
        dProjected: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        affineBackward(dOut: dProjected, input: input, weight: parameters.wx, dWeight: &gradients.wx, dBias: &gradients.b)
    }
}
