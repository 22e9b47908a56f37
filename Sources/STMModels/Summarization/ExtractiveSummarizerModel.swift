#if canImport(Glibc)
import Glibc
#endif
public import STMTensor

/// A SummaRuNNer-style extractive summarizer (Nallapati, Zhai & Zhou, AAAI 2017):
/// word ids → `Embedding` → word-level bidirectional GRU per sentence → mean over the words → sentence vector →
/// sentence-level bidirectional GRU over the document → `SentenceScorer` (content, salience, novelty, position)
/// → one logit per sentence, trained with binary cross-entropy against sentence labels.
///
/// A document is `[[Int]]`: its sentences as word ids. Optionally each sentence also brings `featureCount`
/// numbers computed outside the network (lexical centrality and the like), joined to its sentence vector before
/// the sentence-level GRU, so the recurrent state sees them in the context of the neighbouring sentences. The word level runs over all sentences of a batch at once,
/// grouped by length (`wordChunkSize` sentences of similar length per unroll) so short sentences do not pay for
/// the longest one's padding.
///
/// Keys: `embedding.weight`, `words.<layer>.<forward|backward>.*`, `sentences.<layer>.<forward|backward>.*`,
/// `scorer.*` (see `SentenceScorer`).
public struct ExtractiveSummarizerModel: Sendable {
    public let embedding: Embedding
    public let wordEncoder: RecurrentEncoder<GRUCell>
    public let sentenceEncoder: RecurrentEncoder<GRUCell>
    public let scorer: SentenceScorer
    public let embeddingDropout: Dropout
    public let sentenceDropout: Dropout
    public var wordChunkSize = 64
    /// Extra numbers per sentence joined to the sentence vectors (0: none).
    public let featureCount: Int

    public init(
        vocabularySize: Int, embeddingSize: Int, wordHiddenSize: Int, sentenceHiddenSize: Int,
        absolutePositions: Int = 40, relativePositions: Int = 10, embeddingDropout: Float = 0, sentenceDropout: Float = 0,
        featureCount: Int = 0
    ) {
        precondition(featureCount >= 0, "ExtractiveSummarizerModel: featureCount \(featureCount)")
        self.featureCount = featureCount
        embedding = Embedding(vocabularySize: vocabularySize, dimension: embeddingSize)
        wordEncoder = RecurrentEncoder(inputSize: embeddingSize, hiddenSize: wordHiddenSize, bidirectional: true) {
            GRUCell(inputSize: $0, hiddenSize: $1)
        }
        sentenceEncoder = RecurrentEncoder(
            inputSize: wordEncoder.outputSize + featureCount, hiddenSize: sentenceHiddenSize, bidirectional: true
        ) { GRUCell(inputSize: $0, hiddenSize: $1) }
        scorer = SentenceScorer(
            inputSize: sentenceEncoder.outputSize, absolutePositions: absolutePositions, relativePositions: relativePositions)
        self.embeddingDropout = Dropout(rate: embeddingDropout)
        self.sentenceDropout = Dropout(rate: sentenceDropout)
    }

    public struct Parameters: ParameterGroup {
        public var embedding: Embedding.Parameters
        public var words: RecurrentEncoder<GRUCell>.Parameters
        public var sentences: RecurrentEncoder<GRUCell>.Parameters
        public var scorer: SentenceScorer.Parameters

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try embedding.visitTensors(prefix: prefix + "embedding.", body)
            try words.visitTensors(prefix: prefix + "words.", body)
            try sentences.visitTensors(prefix: prefix + "sentences.", body)
            try scorer.visitTensors(prefix: prefix + "scorer.", body)
        }
    }

    /// Embedding rows start at N(0, 0.1²): small against the GRU's ±1/√H weights, so no word dominates early.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var embeddingParameters = embedding.makeParameters(using: &generator)
        embeddingParameters.weight.scale(by: 0.1)
        return Parameters(
            embedding: embeddingParameters, words: wordEncoder.makeParameters(using: &generator),
            sentences: sentenceEncoder.makeParameters(using: &generator), scorer: scorer.makeParameters(using: &generator))
    }

    /// One unroll of the word level over sentences of similar length.
    struct WordChunk: Sendable {
        /// Indices into the batch's flattened sentence list.
        let sentences: [Int]
        let ids: [Int]
        let steps: Int
        let lengths: [Int]
        let embeddingMask: Tensor?
        let encoder: RecurrentEncoder<GRUCell>.Cache
        let pooling: PoolingCache
    }

    public struct Cache: Sendable {
        let chunks: [WordChunk]
        let sentenceCounts: [Int]
        let sentenceSteps: Int
        let sentenceMask: Tensor?
        let sentenceEncoder: RecurrentEncoder<GRUCell>.Cache
        let scorers: [SentenceScorer.Cache]
    }

    /// Logits per sentence for each document of the batch (every document needs at least one sentence; an
    /// empty sentence reads as one padding token).
    /// - Parameters:
    ///   - features: per document, per sentence, `featureCount` numbers (nil only when `featureCount` is 0).
    ///   - summaryWeights: per document, fixed running-summary weights (see `SentenceScorer.forward`).
    public func forward(
        _ documents: [[[Int]]], features: [[[Float]]]? = nil, parameters: Parameters, training: Bool = false,
        summaryWeights: [[Float]]? = nil, using generator: inout some RandomNumberGenerator
    ) -> (logits: [[Float]], cache: Cache) {
        precondition(documents.allSatisfy { !$0.isEmpty }, "ExtractiveSummarizerModel.forward: a document without sentences")
        precondition(
            featureCount == 0
                || features.map { $0.map { $0.map(\.count) } == documents.map { $0.map { _ in featureCount } } } == true,
            "ExtractiveSummarizerModel.forward: \(featureCount) features per sentence expected")
        let sentences = documents.flatMap { $0 }
        let width = wordEncoder.outputSize
        // Word level, chunk by chunk, into one vector per sentence.
        var sentenceVectors = Tensor.zeros([sentences.count, width])
        var chunks: [WordChunk] = []
        let order = sentences.indices.sorted { (sentences[$0].count, $0) < (sentences[$1].count, $1) }
        for start in stride(from: 0, to: order.count, by: wordChunkSize) {
            let members = Array(order[start..<min(start + wordChunkSize, order.count)])
            let lengths = members.map { max(sentences[$0].count, 1) }
            let steps = lengths.max()!, batch = members.count
            var ids = [Int](repeating: 0, count: steps * batch)
            for (b, index) in members.enumerated() {
                for (t, id) in sentences[index].enumerated() { ids[t * batch + b] = id }
            }
            let (embedded, mask) = embeddingDropout.forward(
                embedding.forward(ids, parameters: parameters.embedding).reshaped([steps, batch, embedding.dimension]),
                training: training, using: &generator)
            let full = lengths.allSatisfy { $0 == steps }
            let (outputs, _, encoderCache) = wordEncoder.forward(
                embedded, lengths: full ? nil : lengths, parameters: parameters.words, training: training, using: &generator)
            let (pooled, poolingCache) = Pooling.mean.pool(outputs, lengths: lengths)
            for (b, index) in members.enumerated() {
                sentenceVectors.setRows(startingAt: index, from: pooled.rows(b..<(b + 1)))
            }
            chunks.append(
                WordChunk(
                    sentences: members, ids: ids, steps: steps, lengths: lengths, embeddingMask: mask,
                    encoder: encoderCache, pooling: poolingCache))
        }
        // Sentence level: time-major [S, B, width].
        let counts = documents.map(\.count)
        let steps = counts.max()!, batch = documents.count
        let inputWidth = width + featureCount
        var sequence = Tensor.zeros([steps, batch, inputWidth])
        var offset = 0
        for (b, count) in counts.enumerated() {
            for t in 0..<count {
                let row = (t * batch + b) * inputWidth
                for column in 0..<width { sequence[flat: row + column] = sentenceVectors[offset + t, column] }
                for f in 0..<featureCount { sequence[flat: row + width + f] = features![b][t][f] }
            }
            offset += count
        }
        let (dropped, sentenceMask) = sentenceDropout.forward(sequence, training: training, using: &generator)
        let full = counts.allSatisfy { $0 == steps }
        let (states, _, sentenceCache) = sentenceEncoder.forward(
            dropped, lengths: full ? nil : counts, parameters: parameters.sentences, training: training, using: &generator)
        var logits: [[Float]] = []
        var scorerCaches: [SentenceScorer.Cache] = []
        for (b, count) in counts.enumerated() {
            var documentStates = Tensor.zeros([count, sentenceEncoder.outputSize])
            for t in 0..<count { documentStates.setRows(startingAt: t, from: states.rows((t * batch + b)..<(t * batch + b + 1))) }
            let (documentLogits, cache) = scorer.forward(
                documentStates, parameters: parameters.scorer,
                summaryWeights: summaryWeights?[b])
            logits.append(documentLogits)
            scorerCaches.append(cache)
        }
        return (
            logits,
            Cache(
                chunks: chunks, sentenceCounts: counts, sentenceSteps: steps, sentenceMask: sentenceMask,
                sentenceEncoder: sentenceCache, scorers: scorerCaches)
        )
    }

    /// Accumulates every parameter's gradient from the logits' gradients.
    public func backward(dLogits: [[Float]], cache: Cache, parameters: Parameters, gradients: inout Parameters) {
        let counts = cache.sentenceCounts, batch = counts.count, steps = cache.sentenceSteps
        let stateWidth = sentenceEncoder.outputSize, width = wordEncoder.outputSize
        var dStates = Tensor.zeros([steps, batch, stateWidth])
        for b in 0..<batch {
            let dDocument = scorer.backward(
                dLogits: dLogits[b], cache: cache.scorers[b], parameters: parameters.scorer, gradients: &gradients.scorer)
            for t in 0..<counts[b] { dStates.setRows(startingAt: t * batch + b, from: dDocument.rows(t..<(t + 1))) }
        }
        let dSequence = sentenceDropout.backward(
            sentenceEncoder.backward(
                dOutputs: dStates, cache: cache.sentenceEncoder, parameters: parameters.sentences,
                gradients: &gradients.sentences),
            mask: cache.sentenceMask)
        var dSentenceVectors = Tensor.zeros([counts.reduce(0, +), width])
        var offset = 0
        let inputWidth = width + featureCount
        for (b, count) in counts.enumerated() {
            for t in 0..<count {
                let row = (t * batch + b) * inputWidth
                for column in 0..<width { dSentenceVectors[offset + t, column] = dSequence[flat: row + column] }
            }
            offset += count
        }
        for chunk in cache.chunks {
            let chunkBatch = chunk.sentences.count
            var dPooled = Tensor.zeros([chunkBatch, width])
            for (b, index) in chunk.sentences.enumerated() {
                dPooled.setRows(startingAt: b, from: dSentenceVectors.rows(index..<(index + 1)))
            }
            let dOutputs = Pooling.mean.backward(dPooled, steps: chunk.steps, cache: chunk.pooling)
            let dEmbedded = embeddingDropout.backward(
                wordEncoder.backward(
                    dOutputs: dOutputs, cache: chunk.encoder, parameters: parameters.words, gradients: &gradients.words),
                mask: chunk.embeddingMask)
            embedding.backward(
                dOutput: dEmbedded.reshaped([chunk.ids.count, embedding.dimension]), ids: chunk.ids,
                gradients: &gradients.embedding)
        }
    }

    /// Mean binary cross-entropy over every sentence of the batch (labels 0 or 1, or soft) and its gradients.
    public func lossAndGradients(
        _ documents: [[[Int]]], features: [[[Float]]]? = nil, labels: [[Float]], parameters: Parameters,
        training: Bool = true, summaryWeights: [[Float]]? = nil, using generator: inout some RandomNumberGenerator
    ) -> (loss: Float, gradients: Parameters) {
        let (logits, cache) = forward(
            documents, features: features, parameters: parameters, training: training, summaryWeights: summaryWeights,
            using: &generator)
        let (loss, dLogits) = Self.binaryCrossEntropy(logits: logits, labels: labels)
        var gradients = parameters.zeros()
        backward(dLogits: dLogits, cache: cache, parameters: parameters, gradients: &gradients)
        return (loss, gradients)
    }

    /// Mean of `softplus(l) − y·l` over all sentences, computed stably, with its gradient `(σ(l) − y)/N`.
    public static func binaryCrossEntropy(logits: [[Float]], labels: [[Float]]) -> (loss: Float, dLogits: [[Float]]) {
        precondition(logits.map(\.count) == labels.map(\.count), "binaryCrossEntropy: labels do not match the logits")
        let total = Float(max(logits.reduce(0) { $0 + $1.count }, 1))
        var loss = 0.0
        let dLogits = zip(logits, labels).map { documentLogits, documentLabels in
            zip(documentLogits, documentLabels).map { logit, label in
                loss += Double(max(logit, 0) + log1pf(expf(-abs(logit))) - label * logit)
                return (1 / (1 + expf(-logit)) - label) / total
            }
        }
        return (Float(loss / Double(total)), dLogits)
    }
}
