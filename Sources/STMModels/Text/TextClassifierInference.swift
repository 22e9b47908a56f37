public import STMTensor

/// Inference for a `TextClassifierModel`: the encoder through `RecurrentRunner`s (weights packed once, in the
/// chosen precision), the rest as in training without dropout. One instance per thread.
public final class TextClassifierInference<Cell: RecurrentCell> {
    public let model: TextClassifierModel<Cell>
    /// The weights apart from the embedding tables, which `tokenTable` and `bagTable` hold instead (their
    /// entries here are emptied, so the float32 copies are not kept alongside).
    let parameters: TextClassifierModel<Cell>.Parameters
    let encoder: EncoderRunners<Cell>
    /// The token and bag embeddings: the largest tensors of a model, bfloat16 when the bundle stored them so.
    public let tokenTable: EmbeddingTable
    public let bagTable: EmbeddingTable?

    public init(model: TextClassifierModel<Cell>, parameters: TextClassifierModel<Cell>.Parameters, precision: WeightPrecision) {
        self.model = model
        tokenTable = EmbeddingTable(parameters.embedding.weight)
        bagTable = parameters.bag.map { EmbeddingTable($0.weight) }
        var rest = parameters
        rest.embedding.weight = Tensor.zeros([0, model.tokenEmbedding.dimension])
        if let bag = rest.bag { rest.bag?.weight = Tensor.zeros([0, bag.weight.columnCount]) }
        self.parameters = rest
        encoder = EncoderRunners(encoder: model.encoder, parameters: parameters.encoder, precision: precision)
    }

    private init(sharingWeightsOf other: TextClassifierInference<Cell>) {
        model = other.model
        parameters = other.parameters
        tokenTable = other.tokenTable
        bagTable = other.bagTable
        encoder = EncoderRunners(encoder: other.model.encoder, parameters: other.parameters.encoder, precision: other.encoder.precision)
    }

    /// An inference object for another thread: the same weights (shared, not copied), its own runners.
    public func makeSibling() -> TextClassifierInference<Cell> {
        TextClassifierInference(sharingWeightsOf: self)
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
        let embedded = tokenTable.bagMeans(bags).reshaped([steps, documents.count, tokenTable.dimension])
        var features = encoder.pooled(embedded, lengths: lengths, pooling: model.pooling)
        if model.bagEmbedding != nil, let bagTable {
            features = Tensor.concatenatedColumns(features, bagTable.bagMeans(documents.map(\.bag)))
        }
        return (model.head.forward(features, parameters: parameters.head).softmax(), features)
    }
}
