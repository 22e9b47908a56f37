public import STMTensor

/// Token ids → `Embedding` → `RecurrentEncoder` → pooling → `Linear` → class logits.
///
/// The model half of a text classifier (the text half — tokenizer, vocabulary, bundle — lives above it).
/// Weight keys: `embedding.weight`, `encoder.<layer>.<forward|backward>.<cell key>`, `head.weight`, `head.bias`.
public struct SequenceClassifier<Cell: RecurrentCell>: Sendable {
    public let embedding: Embedding
    public let encoder: RecurrentEncoder<Cell>
    public let pooling: Pooling
    public let head: Linear
    /// Dropout on the pooled vector before the head.
    public let dropout: Dropout

    public init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, classCount: Int, layers: Int = 1,
        bidirectional: Bool = false, pooling: Pooling = .last, dropout: Float = 0,
        makeCell: (_ inputSize: Int, _ hiddenSize: Int) -> Cell
    ) {
        embedding = Embedding(vocabularySize: vocabularySize, dimension: embeddingSize)
        encoder = RecurrentEncoder(
            inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional,
            dropout: dropout, makeCell: makeCell)
        self.pooling = pooling
        head = Linear(inputSize: encoder.outputSize, outputSize: classCount)
        self.dropout = Dropout(rate: dropout)
    }

    public struct Parameters: ParameterGroup {
        public var embedding: Embedding.Parameters
        public var encoder: RecurrentEncoder<Cell>.Parameters
        public var head: Linear.Parameters

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try embedding.visitTensors(prefix: prefix + "embedding.", body)
            try encoder.visitTensors(prefix: prefix + "encoder.", body)
            try head.visitTensors(prefix: prefix + "head.", body)
        }
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        Parameters(
            embedding: embedding.makeParameters(using: &generator),
            encoder: encoder.makeParameters(using: &generator),
            head: head.makeParameters(using: &generator))
    }

    public struct Cache: Sendable {
        let ids: [Int]
        let lengths: [Int]
        let steps: Int
        let encoder: RecurrentEncoder<Cell>.Cache
        let pooling: PoolingCache?
        let pooled: Tensor
        let dropoutMask: Tensor?
    }

    /// Time-major ids `[T·B]` and lengths for a batch of sequences; padding uses id 0 and is masked.
    public static func pack(_ sequences: [[Int]]) -> (ids: [Int], steps: Int, lengths: [Int]) {
        let lengths = sequences.map(\.count)
        precondition(lengths.allSatisfy { $0 >= 1 }, "SequenceClassifier: every sequence needs at least one token")
        let steps = lengths.max() ?? 0, batch = sequences.count
        var ids = [Int](repeating: 0, count: steps * batch)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { ids[t * batch + b] = id }
        }
        return (ids, steps, lengths)
    }

    /// Logits `[B, classCount]` for a batch of token-id sequences.
    public func forward(
        _ sequences: [[Int]], parameters: Parameters, training: Bool = false,
        using generator: inout some RandomNumberGenerator
    ) -> (logits: Tensor, cache: Cache) {
        let (ids, steps, lengths) = Self.pack(sequences)
        let batch = sequences.count
        let embedded = embedding.forward(ids, parameters: parameters.embedding)
            .reshaped([steps, batch, embedding.dimension])
        let full = lengths.allSatisfy { $0 == steps }
        let (outputs, finals, encoderCache) = encoder.forward(
            embedded, lengths: full ? nil : lengths, parameters: parameters.encoder, training: training,
            using: &generator)
        let (pooled, poolingCache) = encoder.pool(outputs: outputs, finalStates: finals, lengths: lengths, pooling: pooling)
        let (dropped, mask) = dropout.forward(pooled, training: training, using: &generator)
        let logits = head.forward(dropped, parameters: parameters.head)
        return (
            logits,
            Cache(
                ids: ids, lengths: lengths, steps: steps, encoder: encoderCache, pooling: poolingCache,
                pooled: dropped, dropoutMask: mask)
        )
    }

    /// Accumulates every parameter's gradient from `dLogits`.
    public func backward(dLogits: Tensor, cache: Cache, parameters: Parameters, gradients: inout Parameters) {
        let batch = cache.lengths.count
        let dDropped = head.backward(
            dOutput: dLogits, input: cache.pooled, parameters: parameters.head, gradients: &gradients.head)
        let dPooled = dropout.backward(dDropped, mask: cache.dropoutMask)
        let (dOutputs, dFinals) = encoder.poolBackward(
            dPooled, pooling: pooling, steps: cache.steps, batch: batch, cache: cache.pooling)
        let dEmbedded = encoder.backward(
            dOutputs: dOutputs, dFinalStates: dFinals, cache: cache.encoder, parameters: parameters.encoder,
            gradients: &gradients.encoder)
        embedding.backward(
            dOutput: dEmbedded.reshaped([cache.ids.count, embedding.dimension]), ids: cache.ids,
            gradients: &gradients.embedding)
    }

    /// Mean cross-entropy of a labelled batch and its gradients.
    public func lossAndGradients(
        _ sequences: [[Int]], labels: [Int], parameters: Parameters, training: Bool = true,
        using generator: inout some RandomNumberGenerator
    ) -> (loss: Float, gradients: Parameters) {
        let (logits, cache) = forward(sequences, parameters: parameters, training: training, using: &generator)
        let (loss, dLogits) = softmaxCrossEntropy(logits: logits, labels: labels)
        var gradients = parameters.zeros()
        backward(dLogits: dLogits, cache: cache, parameters: parameters, gradients: &gradients)
        return (loss, gradients)
    }

    /// Class probabilities `[B, classCount]` (inference: no dropout).
    public func probabilities(_ sequences: [[Int]], parameters: Parameters) -> Tensor {
        var unused = SplitMix64(seed: 0)
        return forward(sequences, parameters: parameters, training: false, using: &unused).logits.softmax()
    }
}
