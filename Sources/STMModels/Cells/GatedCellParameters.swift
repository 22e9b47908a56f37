public import STMTensor

/// The weights of a gated cell (GRU: G = 3, LSTM: G = 4), in PyTorch's layout: keys `wx` `[G·H, D]`
/// (= `weight_ih`), `wh` `[G·H, H]` (`weight_hh`), `bx` `[G·H]` (`bias_ih`), `bh` `[G·H]` (`bias_hh`), rows in
/// the cell's gate order. The same type holds their gradients.
public struct GatedCellParameters: ParameterGroup {
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

    /// Uniform in ±1/√hiddenSize, as PyTorch initialises recurrent layers.
    public init(gates: Int, inputSize: Int, hiddenSize: Int, using generator: inout some RandomNumberGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let rows = gates * hiddenSize
        self.init(
            wx: .uniform([rows, inputSize], bound: bound, using: &generator),
            wh: .uniform([rows, hiddenSize], bound: bound, using: &generator),
            bx: .uniform([rows], bound: bound, using: &generator),
            bh: .uniform([rows], bound: bound, using: &generator))
    }

    public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "wx", &wx)
        try body(prefix + "wh", &wh)
        try body(prefix + "bx", &bx)
        try body(prefix + "bh", &bh)
    }
}
