public import STMTensor

/// Inference for a `TextClassifierModel`: the encoder through `RecurrentRunner`s (weights packed once, in the
/// chosen precision), the rest as in training without dropout. One instance per thread.
public final class TextClassifierInference<Cell: RecurrentCell> {
    public let model: TextClassifierModel<Cell>
    let parameters: TextClassifierModel<Cell>.Parameters
    let encoder: EncoderRunners<Cell>

    public init(model: TextClassifierModel<Cell>, parameters: TextClassifierModel<Cell>.Parameters, precision: WeightPrecision) {
        self.model = model
        self.parameters = parameters
        encoder = EncoderRunners(encoder: model.encoder, parameters: parameters.encoder, precision: precision)
    }

    /// An inference object for another thread: the same weights (shared, not copied), its own runners.
    public func makeSibling() -> TextClassifierInference<Cell> {
        TextClassifierInference(model: model, parameters: parameters, precision: encoder.precision)
    }

    /// The linear head's weights: what maps a document vector to the class logits.
    public var headParameters: Linear.Parameters { parameters.head }

    /// Class probabilities `[B, classCount]`.
    public func probabilities(_ documents: [TextFeatures]) -> Tensor {
        evaluate(documents).probabilities
    }

    /// Class probabilities `[B, classCount]` and the document vectors the head reads `[B, featureSize]`: the
    /// pooled encoder states (joined by the bag vector when the model has one). The vectors are what stream
    /// memory compares documents by and what context-aware heads read.
    public func evaluate(_ documents: [TextFeatures]) -> (probabilities: Tensor, documentVectors: Tensor) {
        let (bags, steps, lengths) = TextClassifierModel<Cell>.pack(documents)
        let embedded = model.embed(bags, steps: steps, batch: documents.count, parameters: parameters)
        var features = encoder.pooled(embedded, lengths: lengths, pooling: model.pooling)
        if let bagEmbedding = model.bagEmbedding, let bagParameters = parameters.bag {
            features = Tensor.concatenatedColumns(features, bagEmbedding.forward(documents.map(\.bag), parameters: bagParameters))
        }
        return (model.head.forward(features, parameters: parameters.head).softmax(), features)
    }
}
