public import STMTensor

/// Inference for a `SequenceClassifier` through `RecurrentRunner`s: no caches, no per-step allocation, and the
/// recurrent weights in the chosen precision. One instance per thread (it owns scratch memory).
public final class ClassifierInference<Cell: RecurrentCell> {
    public let model: SequenceClassifier<Cell>
    let parameters: SequenceClassifier<Cell>.Parameters
    /// `runners[layer][direction]`.
    let runners: [[RecurrentRunner]]

    public init(model: SequenceClassifier<Cell>, parameters: SequenceClassifier<Cell>.Parameters, precision: WeightPrecision) {
        self.model = model
        self.parameters = parameters
        runners = model.encoder.cells.indices.map { layer in
            model.encoder.cells[layer].indices.map { direction in
                model.encoder.cells[layer][direction].makeRunner(
                    parameters: parameters.encoder.layers[layer][direction], precision: precision)
            }
        }
    }

    /// Class probabilities `[B, classCount]` for a batch of token-id sequences (each at least one token).
    public func probabilities(_ sequences: [[Int]]) -> Tensor {
        let (ids, steps, lengths) = SequenceClassifier<Cell>.pack(sequences)
        let batch = sequences.count, hidden = model.encoder.hiddenSize
        let full = lengths.allSatisfy { $0 == steps }
        var layerInput = model.embedding.forward(ids, parameters: parameters.embedding).reshaped([steps, batch, model.embedding.dimension])
        var finals: [Tensor] = []
        for layer in runners.indices {
            var outputs: [Tensor] = []
            finals = []
            for (direction, runner) in runners[layer].enumerated() {
                let input = direction == 0 ? layerInput : layerInput.reversingSequences(lengths: lengths)
                var output = Tensor.zeros([steps, batch, hidden])
                var final = Tensor.zeros([batch, hidden])
                input.scalars.withUnsafeBufferPointer { x in
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
        let pooled: Tensor
        switch model.pooling {
        case .last: pooled = finals.count == 2 ? Tensor.concatenatedColumns(finals[0], finals[1]) : finals[0]
        case .mean, .max: pooled = model.pooling.pool(layerInput, lengths: lengths).pooled
        }
        return model.head.forward(pooled, parameters: parameters.head).softmax()
    }
}
