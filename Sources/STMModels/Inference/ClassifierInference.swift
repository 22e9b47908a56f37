public import STMTensor

/// Inference for a `SequenceClassifier` through `RecurrentRunner`s: no caches, no per-step allocation, and the
/// recurrent weights in the chosen precision. One instance per thread (it owns scratch memory).
public final class ClassifierInference<Cell: RecurrentCell> {
    public let model: SequenceClassifier<Cell>
    let parameters: SequenceClassifier<Cell>.Parameters
    let encoder: EncoderRunners<Cell>

    public init(model: SequenceClassifier<Cell>, parameters: SequenceClassifier<Cell>.Parameters, precision: WeightPrecision) {
        self.model = model
        self.parameters = parameters
        encoder = EncoderRunners(encoder: model.encoder, parameters: parameters.encoder, precision: precision)
    }

    /// Class probabilities `[B, classCount]` for a batch of token-id sequences (each at least one token).
    public func probabilities(_ sequences: [[Int]]) -> Tensor {
        let (ids, steps, lengths) = SequenceClassifier<Cell>.pack(sequences)
        let embedded = model.embedding.forward(ids, parameters: parameters.embedding)
            .reshaped([steps, sequences.count, model.embedding.dimension])
        let pooled = encoder.pooled(embedded, lengths: lengths, pooling: model.pooling)
        return model.head.forward(pooled, parameters: parameters.head).softmax()
    }
}
