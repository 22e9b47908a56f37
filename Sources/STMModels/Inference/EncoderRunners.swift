public import STMTensor

/// A `RecurrentEncoder` for inference: one `RecurrentRunner` per layer and direction (weights packed once, no
/// caches), and the pooling that turns its outputs into one vector per sequence. Shared by the classifiers'
/// inference types. One instance per thread: the runners own scratch memory.
public final class EncoderRunners<Cell: RecurrentCell> {
    public let encoder: RecurrentEncoder<Cell>
    /// `runners[layer][direction]`.
    let runners: [[RecurrentRunner]]

    public let precision: WeightPrecision

    public init(encoder: RecurrentEncoder<Cell>, parameters: RecurrentEncoder<Cell>.Parameters, precision: WeightPrecision) {
        self.encoder = encoder
        self.precision = precision
        runners = encoder.cells.indices.map { layer in
            encoder.cells[layer].indices.map { direction in
                encoder.cells[layer][direction].makeRunner(parameters: parameters.layers[layer][direction], precision: precision)
            }
        }
    }

    /// Runs `input` `[T, B, inputSize]` (time-major, each sequence `lengths[b] ≥ 1` real steps) through every
    /// layer and pools the top layer's outputs → `[B, encoder.outputSize]`.
    public func pooled(_ input: Tensor, lengths: [Int], pooling: Pooling) -> Tensor {
        let steps = input.shape[0], batch = input.shape[1], hidden = encoder.hiddenSize
        let full = lengths.allSatisfy { $0 == steps }
        var layerInput = input
        var finals: [Tensor] = []
        for layer in runners.indices {
            var outputs: [Tensor] = []
            finals = []
            for (direction, runner) in runners[layer].enumerated() {
                let directed = direction == 0 ? layerInput : layerInput.reversingSequences(lengths: lengths)
                var output = Tensor.zeros([steps, batch, hidden])
                var final = Tensor.zeros([batch, hidden])
                directed.scalars.withUnsafeBufferPointer { x in
                    output.scalars.withUnsafeMutableBufferPointer { out in
                        final.scalars.withUnsafeMutableBufferPointer { last in
                            runner.run(
                                input: x.baseAddress!, steps: steps, batch: batch, lengths: full ? nil : lengths,
                                outputs: out.baseAddress!, finalH: last.baseAddress!)
                        }
                    }
                }
                outputs.append(direction == 0 ? output : output.reversingSequences(lengths: lengths))
                finals.append(final)
            }
            layerInput = outputs.count == 2 ? Tensor.concatenatedColumns(outputs[0], outputs[1]) : outputs[0]
        }
        switch pooling {
        case .last: return finals.count == 2 ? Tensor.concatenatedColumns(finals[0], finals[1]) : finals[0]
        case .mean, .max: return pooling.pool(layerInput, lengths: lengths).pooled
        }
    }
}
