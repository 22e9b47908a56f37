#if canImport(Glibc)
import Glibc
#endif
public import STMTensor

/// SummaRuNNer's decision layer (Nallapati et al. 2017, eq. 6): the logit of "sentence j belongs to the summary"
/// from its sentence-level state `h_j`, the document `d` and the summary built so far `s_j`:
///
///     d       = tanh(W_d · mean_j h_j + b_d)
///     s_j     = Σ_{i<j} p_i · h_i                       (the running summary)
///     logit_j = w_c·h_j                                 content
///             + h_jᵀ W_s d                              salience
///             − h_jᵀ W_r tanh(s_j)                      novelty against the summary so far
///             + a[min(j, A−1)] + r[⌊j·R/n⌋] + b         absolute and relative position
///
/// The paper's position terms are learned embeddings followed by a linear map to one number; composed, they are
/// one learned scalar per bucket, which is what `a` and `r` store.
///
/// `p_i` in the running summary is the model's own probability both in training and at inference (as in the
/// paper), but the gradient treats it as a constant: the loss still reaches every `h_i` through `s_j`, and the
/// backward pass stays a single reverse sweep.
///
/// Keys: `document.weight` `[D, D]`, `document.bias` `[D]`, `content` `[D]`, `salience` `[D, D]`,
/// `novelty` `[D, D]`, `absolute_position` `[A]`, `relative_position` `[R]`, `bias` `[1]`.
public struct SentenceScorer: Sendable {
    public let inputSize: Int
    public let absolutePositions: Int
    public let relativePositions: Int

    public init(inputSize: Int, absolutePositions: Int = 40, relativePositions: Int = 10) {
        precondition(inputSize >= 1 && absolutePositions >= 1 && relativePositions >= 1, "SentenceScorer: sizes")
        self.inputSize = inputSize
        self.absolutePositions = absolutePositions
        self.relativePositions = relativePositions
    }

    public struct Parameters: ParameterGroup {
        public var document: Linear.Parameters
        public var content: Tensor
        public var salience: Tensor
        public var novelty: Tensor
        public var absolutePosition: Tensor
        public var relativePosition: Tensor
        public var bias: Tensor

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try document.visitTensors(prefix: prefix + "document.", body)
            try body(prefix + "content", &content)
            try body(prefix + "salience", &salience)
            try body(prefix + "novelty", &novelty)
            try body(prefix + "absolute_position", &absolutePosition)
            try body(prefix + "relative_position", &relativePosition)
            try body(prefix + "bias", &bias)
        }
    }

    /// Uniform in ±1/√D for the matrices and the content vector; positions and bias start at zero.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        let bound = 1 / Float(inputSize).squareRoot()
        return Parameters(
            document: Linear(inputSize: inputSize, outputSize: inputSize).makeParameters(using: &generator),
            content: .uniform([inputSize], bound: bound, using: &generator),
            salience: .uniform([inputSize, inputSize], bound: bound, using: &generator),
            novelty: .uniform([inputSize, inputSize], bound: bound, using: &generator),
            absolutePosition: .zeros([absolutePositions]),
            relativePosition: .zeros([relativePositions]),
            bias: .zeros([1]))
    }

    /// What `backward` needs from `forward` for one document.
    public struct Cache: Sendable {
        let states: Tensor
        let mean: Tensor
        let document: Tensor
        let salienceVector: Tensor
        /// `[n, D]`: tanh of the running summary before each sentence.
        let summaries: Tensor
        /// The weights the running summary gave each sentence (its probability, treated as a constant).
        let weights: [Float]
    }

    func absoluteBucket(_ j: Int) -> Int { min(j, absolutePositions - 1) }
    func relativeBucket(_ j: Int, of n: Int) -> Int { min(j * relativePositions / max(n, 1), relativePositions - 1) }

    /// Logits `[n]` for the sentence states `states` `[n, D]` of one document (n ≥ 1).
    /// - Parameter summaryWeights: fixed weights for the running summary (e.g. the reference labels, for teacher
    ///   forcing or an exact gradient check); nil: the model's own probabilities.
    public func forward(
        _ states: Tensor, parameters: Parameters, summaryWeights: [Float]? = nil
    ) -> (logits: [Float], cache: Cache) {
        let n = states.rowCount, width = inputSize
        precondition(states.rank == 2 && states.columnCount == width && n >= 1, "SentenceScorer.forward: \(states.shape)")
        precondition(summaryWeights == nil || summaryWeights!.count == n, "SentenceScorer.forward: summary weights")
        var mean = states.sumRows()
        mean.scale(by: 1 / Float(n))
        let document = Linear(inputSize: width, outputSize: width)
            .forward(mean.reshaped([1, width]), parameters: parameters.document).tanh().reshaped([width])
        let salienceVector = matmul(parameters.salience, document.reshaped([width, 1])).reshaped([width])
        var summaries = Tensor.zeros([n, width])
        var running = [Float](repeating: 0, count: width)
        var logits = [Float](repeating: 0, count: n)
        var weights = [Float](repeating: 0, count: n)
        for j in 0..<n {
            let squashed = running.map { tanhf($0) }
            var logit = parameters.bias[flat: 0] + parameters.absolutePosition[flat: absoluteBucket(j)]
                + parameters.relativePosition[flat: relativeBucket(j, of: n)]
            for row in 0..<width {
                let h = states[j, row]
                var noveltyRow: Float = 0
                for column in 0..<width { noveltyRow += parameters.novelty[row, column] * squashed[column] }
                logit += h * (parameters.content[flat: row] + salienceVector[flat: row] - noveltyRow)
            }
            logits[j] = logit
            let probability = summaryWeights?[j] ?? 1 / (1 + expf(-logit))
            weights[j] = probability
            for column in 0..<width {
                summaries[j, column] = squashed[column]
                running[column] += probability * states[j, column]
            }
        }
        return (
            logits,
            Cache(
                states: states, mean: mean, document: document, salienceVector: salienceVector, summaries: summaries,
                weights: weights)
        )
    }

    /// Accumulates the parameters' gradients from `dLogits` `[n]`; returns the gradient of the states `[n, D]`.
    public func backward(dLogits: [Float], cache: Cache, parameters: Parameters, gradients: inout Parameters) -> Tensor {
        let n = cache.states.rowCount, width = inputSize
        precondition(dLogits.count == n, "SentenceScorer.backward: \(dLogits.count) gradients for \(n) sentences")
        let dColumn = Tensor(shape: [n, 1], scalars: dLogits)
        // Content and salience: the same h_j · (vector) form.
        var dStates = matmul(dColumn, (parameters.content + cache.salienceVector).reshaped([1, width]))
        let weighted = matmul(dColumn, transposeA: true, cache.states).reshaped([width])  // Σ_j dl_j h_j
        gradients.content.add(weighted)
        gemm(weighted.reshaped([width, 1]), cache.document.reshaped([1, width]), into: &gradients.salience, beta: 1)
        var dDocument = matmul(weighted.reshaped([1, width]), parameters.salience).reshaped([width])
        // Novelty: −h_jᵀ W_r t_j.
        let noveltyTerms = matmul(cache.summaries, parameters.novelty, transposeB: true)  // [n, D]: W_r t_j
        var dNoveltyOut = cache.states  // dl/d(W_r t_j) = −dl_j h_j
        for j in 0..<n {
            for column in 0..<width {
                dStates[j, column] -= dLogits[j] * noveltyTerms[j, column]
                dNoveltyOut[j, column] *= -dLogits[j]
            }
        }
        gemm(dNoveltyOut, transposeA: true, cache.summaries, into: &gradients.novelty, beta: 1)
        let dSquashed = matmul(dNoveltyOut, parameters.novelty)  // [n, D]
        // s_j = Σ_{i<j} w_i h_i, so dh_i += w_i Σ_{j>i} ds_j.
        var later = [Float](repeating: 0, count: width)
        for j in (0..<n).reversed() {
            for column in 0..<width {
                dStates[j, column] += cache.weights[j] * later[column]
                let t = cache.summaries[j, column]
                later[column] += dSquashed[j, column] * (1 - t * t)
            }
        }
        // Positions and bias.
        for j in 0..<n {
            gradients.absolutePosition[flat: absoluteBucket(j)] += dLogits[j]
            gradients.relativePosition[flat: relativeBucket(j, of: n)] += dLogits[j]
            gradients.bias[flat: 0] += dLogits[j]
        }
        // The document vector: d = tanh(W_d mean + b_d), mean = Σ h_j / n.
        for row in 0..<width {
            let d = cache.document[flat: row]
            dDocument[flat: row] *= 1 - d * d
        }
        let dMean = Linear(inputSize: width, outputSize: width).backward(
            dOutput: dDocument.reshaped([1, width]), input: cache.mean.reshaped([1, width]),
            parameters: parameters.document, gradients: &gradients.document)
        for j in 0..<n {
            for column in 0..<width { dStates[j, column] += dMean[0, column] / Float(n) }
        }
        return dStates
    }
}
