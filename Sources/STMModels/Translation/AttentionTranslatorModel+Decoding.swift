#if canImport(Glibc)
import Glibc
#endif
public import STMTensor

/// Inference: encode a source once, then decode greedily or with beam search.
extension AttentionTranslatorModel {
    /// A source sentence after the encoder: what every decoding step attends over.
    public struct EncodedSource: Sendable {
        /// `[Ts, 2He]`.
        public let memory: Tensor
        /// `[Ts, Hd]`: the memory through the attention projection.
        public let keys: Tensor
        /// `[1, Hd]`: the decoder's initial state.
        public let initialState: Tensor
    }

    public func encode(_ source: [Int], parameters: Parameters) -> EncodedSource {
        precondition(!source.isEmpty, "AttentionTranslatorModel.encode: empty source")
        var generator = SplitMix64(seed: 0)
        let embedded = embedding.forward(source, parameters: parameters.embedding).reshaped([source.count, 1, embedding.dimension])
        let (memory, finals, _) = encoder.forward(embedded, parameters: parameters.encoder, using: &generator)
        let rows = memory.reshaped([source.count, encoder.outputSize])
        let initial = bridge.forward(
            Tensor.concatenatedColumns(finals[0][0], finals[0][1]), parameters: parameters.bridge
        ).tanh()
        return EncodedSource(memory: rows, keys: attention.forward(rows, parameters: parameters.attention), initialState: initial)
    }

    /// Everything of a decoder step before the output layer: the new states `[K, Hd]` and the outputs h̃ `[K, E]`.
    func decoderOutputs(
        previous: [Int], states: Tensor, source: EncodedSource, parameters: Parameters
    ) -> (outputs: Tensor, states: Tensor) {
        let x = embedding.forward(previous, parameters: parameters.embedding)
        let (next, _, _) = decoder.forward(x, state: states, parameters: parameters.decoder)
        let (context, _) = LuongAttention.forward(states: next, keys: source.keys, memory: source.memory)
        let combined = combine.forward(Tensor.concatenatedColumns(next, context), parameters: parameters.combine).tanh()
        return (combined, next)
    }

    /// One decoder step for `K` hypotheses: previous tokens and states `[K, Hd]` → log-probabilities `[K, V]`
    /// and the new states.
    public func step(
        previous: [Int], states: Tensor, source: EncodedSource, parameters: Parameters
    ) -> (logProbabilities: Tensor, states: Tensor) {
        let (combined, next) = decoderOutputs(previous: previous, states: states, source: source, parameters: parameters)
        var logits = Tensor.zeros([previous.count, vocabularySize])
        gemm(combined, parameters.embedding.weight, transposeB: true, into: &logits)
        logits.addRowVector(parameters.outputBias)
        return (logits.logSoftmax(), next)
    }

    /// Beam search with GNMT length normalisation (Wu et al. 2016): hypotheses are ranked by
    /// `log P(y|x) / ((5 + |y|) / 6)^α`. Width 1 is greedy decoding. Stops when `width` hypotheses have ended
    /// and none of the open ones can still beat the best, or at `maxLength` tokens.
    ///
    /// Without `output`, each step is the reference (`step`: float32 logits, a full log-softmax, candidates picked
    /// in Swift). With it, the logits come from the prepared layer (bfloat16 or float32) into one buffer reused by
    /// every step, and the normaliser and each hypothesis' best tokens come from the fused kernels
    /// (`FusedKernels.logSumExp`, `topK`); the search around them is the same code. With `decoder` as well (used
    /// only together with `output`), the GRU and `combine` products run on its bfloat16 weights.
    /// - Returns: the best hypothesis' tokens (without `</s>`).
    public func translate(
        _ source: [Int], startID: Int, endID: Int, parameters: Parameters, beamWidth: Int = 5, lengthPenalty: Float = 0.6,
        maxLength: Int? = nil, output: TranslatorOutputLayer? = nil, decoder layers: TranslatorDecoderLayers? = nil
    ) -> [Int] {
        precondition(beamWidth >= 1, "AttentionTranslatorModel.translate: beam width \(beamWidth)")
        let limit = maxLength ?? (2 * source.count + 10)
        let encoded = encode(source, parameters: parameters)
        func normalised(_ score: Float, _ length: Int) -> Float { score / powf((5 + Float(length)) / 6, lengthPenalty) }
        struct Hypothesis {
            var tokens: [Int]
            var score: Float
        }
        var open = [Hypothesis(tokens: [], score: 0)]
        var states = encoded.initialState
        var finished: [(tokens: [Int], score: Float)] = []
        var expander = output.map { FastExpander(output: $0, width: beamWidth, excluded: [0, startID]) }
        for _ in 0..<limit {
            let previous = open.map { $0.tokens.last ?? startID }
            // Best `beamWidth` extensions of each hypothesis, then the best `beamWidth` overall.
            var candidates: [(hypothesis: Int, token: Int, score: Float)] = []
            let next: Tensor
            if expander != nil {
                let (outputs, newStates) = if let layers {
                    layers.step(x: embedding.forward(previous, parameters: parameters.embedding), states: states, source: encoded)
                } else {
                    decoderOutputs(previous: previous, states: states, source: encoded, parameters: parameters)
                }
                next = newStates
                expander!.expand(outputs) { k, token, value in candidates.append((k, token, open[k].score + value)) }
            } else {
                let (logProbabilities, newStates) = step(previous: previous, states: states, source: encoded, parameters: parameters)
                next = newStates
                let vocabulary = vocabularySize
                logProbabilities.scalars.withUnsafeBufferPointer { p in
                    for k in open.indices {
                        var top: [(token: Int, value: Float)] = []
                        for v in 0..<vocabulary where v != 0 && v != startID {
                            let value = p[k * vocabulary + v]
                            if top.count < beamWidth {
                                top.append((v, value))
                                top.sort { $0.value > $1.value }
                            } else if value > top[beamWidth - 1].value {
                                top[beamWidth - 1] = (v, value)
                                top.sort { $0.value > $1.value }
                            }
                        }
                        for (token, value) in top { candidates.append((k, token, open[k].score + value)) }
                    }
                }
            }
            candidates.sort { $0.score != $1.score ? $0.score > $1.score : ($0.hypothesis, $0.token) < ($1.hypothesis, $1.token) }
            var nextOpen: [Hypothesis] = []
            var rows: [Int] = []
            for candidate in candidates {
                if candidate.token == endID {
                    finished.append((open[candidate.hypothesis].tokens, normalised(candidate.score, open[candidate.hypothesis].tokens.count + 1)))
                } else if nextOpen.count < beamWidth {
                    nextOpen.append(Hypothesis(tokens: open[candidate.hypothesis].tokens + [candidate.token], score: candidate.score))
                    rows.append(candidate.hypothesis)
                }
                if nextOpen.count == beamWidth && finished.count >= beamWidth { break }
            }
            if nextOpen.isEmpty { break }
            if finished.count >= beamWidth {
                // Log-probabilities only fall, so an open hypothesis' best possible normalised score is bounded.
                let bestFinished = finished.map(\.score).max()!
                let bestOpen = nextOpen.map { normalised($0.score, limit) }.max()!
                if bestFinished >= bestOpen || beamWidth == 1 { break }
            }
            var gathered = Tensor.zeros([rows.count, decoder.hiddenSize])
            for (i, row) in rows.enumerated() { gathered.setRows(startingAt: i, from: next.rows(row..<(row + 1))) }
            states = gathered
            open = nextOpen
        }
        if let best = finished.max(by: { $0.score < $1.score }) { return best.tokens }
        return open.max { normalised($0.score, $0.tokens.count) < normalised($1.score, $1.tokens.count) }?.tokens ?? []
    }
}
