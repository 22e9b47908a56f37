public import STMTensor

/// A stack of recurrent layers, each unidirectional or bidirectional, with dropout between layers (as
/// PyTorch's `nn.GRU(num_layers:, bidirectional:, dropout:)`). Layer `l > 0` reads the previous layer's
/// output, `[T, B, H·directions]`; a bidirectional layer's output is `[forward ; backward]` per step.
public struct RecurrentEncoder<Cell: RecurrentCell>: Sendable {
    /// `cells[l][0]` runs forward in time, `cells[l][1]` (when bidirectional) runs backward.
    public let cells: [[Cell]]
    public let bidirectional: Bool
    public let dropout: Dropout

    public var hiddenSize: Int { cells[0][0].hiddenSize }
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Width of each output step: `hiddenSize · directions`.
    public var outputSize: Int { hiddenSize * directions }

    /// - Parameter makeCell: builds a cell for a given input width (the first layer's is `inputSize`).
    public init(
        inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Float = 0,
        makeCell: (_ inputSize: Int, _ hiddenSize: Int) -> Cell
    ) {
        precondition(layers >= 1, "RecurrentEncoder: \(layers) layers")
        let directions = bidirectional ? 2 : 1
        self.cells = (0..<layers).map { layer in
            let width = layer == 0 ? inputSize : hiddenSize * directions
            return (0..<directions).map { _ in makeCell(width, hiddenSize) }
        }
        self.bidirectional = bidirectional
        self.dropout = Dropout(rate: dropout)
    }

    /// Keys per layer `l`: `l.forward.*` and, when bidirectional, `l.backward.*` (the cell's own keys).
    /// PyTorch's `weight_ih_l{l}` / `weight_ih_l{l}_reverse` map to `l.forward.wx` / `l.backward.wx`.
    public struct Parameters: ParameterGroup {
        public var layers: [[Cell.Parameters]]

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            for l in layers.indices {
                for d in layers[l].indices {
                    try layers[l][d].visitTensors(prefix: "\(prefix)\(l).\(d == 0 ? "forward" : "backward").", body)
                }
            }
        }
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        Parameters(layers: cells.map { layer in layer.map { $0.makeParameters(using: &generator) } })
    }

    public struct Cache: Sendable {
        let lengths: [Int]?
        /// Per layer: the dropout mask on its input, and each direction's unroll cache.
        let masks: [Tensor?]
        let unrolls: [[Recurrent<Cell>.Cache]]
    }

    /// - Parameters:
    ///   - input: `[T, B, inputSize]`, time-major.
    ///   - lengths: real length of each sequence (nil: all `T`).
    /// - Returns: outputs `[T, B, outputSize]` (zero at padded steps); `finalStates[l][d]`, where the backward
    ///   direction's final state is the one after reading the sequence's first element.
    public func forward(
        _ input: Tensor, lengths: [Int]? = nil, parameters: Parameters, training: Bool = false,
        using generator: inout some RandomNumberGenerator
    ) -> (outputs: Tensor, finalStates: [[Cell.State]], cache: Cache) {
        var layerInput = input
        var masks: [Tensor?] = []
        var unrolls: [[Recurrent<Cell>.Cache]] = []
        var finals: [[Cell.State]] = []
        for l in cells.indices {
            if l > 0 {
                let (dropped, mask) = dropout.forward(layerInput, training: training, using: &generator)
                layerInput = dropped
                masks.append(mask)
            } else {
                masks.append(nil)
            }
            let forwardRun = Recurrent(cell: cells[l][0]).forward(
                layerInput, lengths: lengths, parameters: parameters.layers[l][0])
            var output = forwardRun.outputs
            var layerFinals = [forwardRun.finalState]
            var layerCaches = [forwardRun.cache]
            if bidirectional {
                let backwardRun = Recurrent(cell: cells[l][1]).forward(
                    layerInput.reversingSequences(lengths: lengths), lengths: lengths, parameters: parameters.layers[l][1])
                output = Tensor.concatenatedColumns(output, backwardRun.outputs.reversingSequences(lengths: lengths))
                layerFinals.append(backwardRun.finalState)
                layerCaches.append(backwardRun.cache)
            }
            finals.append(layerFinals)
            unrolls.append(layerCaches)
            layerInput = output
        }
        return (layerInput, finals, Cache(lengths: lengths, masks: masks, unrolls: unrolls))
    }

    /// BPTT through the whole stack. `dFinalStates`, when given, has the shape of `finalStates`.
    /// - Returns: the gradient of the input `[T, B, inputSize]`.
    public func backward(
        dOutputs: Tensor, dFinalStates: [[Cell.State]]? = nil, cache: Cache,
        parameters: Parameters, gradients: inout Parameters
    ) -> Tensor {
        var dLayerOutput = dOutputs
        for l in cells.indices.reversed() {
            let (dForwardOut, dBackwardOut): (Tensor, Tensor?) =
                bidirectional ? { let (a, b) = dLayerOutput.splitColumns(at: hiddenSize); return (a, b) }() : (dLayerOutput, nil)
            var dInput = Recurrent(cell: cells[l][0]).backward(
                dOutputs: dForwardOut, dFinalState: dFinalStates?[l][0], cache: cache.unrolls[l][0],
                parameters: parameters.layers[l][0], gradients: &gradients.layers[l][0]
            ).dInput
            if let dBackwardOut {
                let dReversedInput = Recurrent(cell: cells[l][1]).backward(
                    dOutputs: dBackwardOut.reversingSequences(lengths: cache.lengths), dFinalState: dFinalStates?[l][1],
                    cache: cache.unrolls[l][1], parameters: parameters.layers[l][1], gradients: &gradients.layers[l][1]
                ).dInput
                dInput.add(dReversedInput.reversingSequences(lengths: cache.lengths))
            }
            dLayerOutput = dropout.backward(dInput, mask: cache.masks[l])
        }
        return dLayerOutput
    }
}
