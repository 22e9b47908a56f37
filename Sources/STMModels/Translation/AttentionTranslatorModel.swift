#if canImport(Glibc)
import Glibc
#endif
public import STMTensor

/// An attention sequence-to-sequence translator (Bahdanau et al. 2015 encoder, Luong et al. 2015 decoder):
///
///     source ids → Embedding → bidirectional GRU → memory M [Ts, 2He]
///     s₀ = tanh(bridge([→h_last ; ←h_first]))
///     sₜ = GRU(Embedding(yₜ₋₁), sₜ₋₁)                (teacher forcing: yₜ₋₁ is the reference token)
///     cₜ = softmax(sₜ · (M·Wₐᵀ + bₐ)ᵀ) · M            (Luong "general" attention)
///     h̃ₜ = tanh(combine([sₜ ; cₜ]))                   [E]
///     logitsₜ = h̃ₜ · Eᵀ + b                          (output layer tied to the embedding table)
///
/// One embedding table serves source, target and output (the subword vocabulary is shared), which keeps the
/// model small. Keys: `embedding.weight`, `encoder.0.<forward|backward>.*`, `bridge.*`, `decoder.*`,
/// `attention.*`, `combine.*`, `output.bias`.
public struct AttentionTranslatorModel: Sendable {
    public let embedding: Embedding
    public let encoder: RecurrentEncoder<GRUCell>
    public let bridge: Linear
    public let decoder: GRUCell
    public let attention: Linear
    public let combine: Linear
    public let dropout: Dropout

    public var vocabularySize: Int { embedding.vocabularySize }

    public init(vocabularySize: Int, embeddingSize: Int, encoderHiddenSize: Int, decoderHiddenSize: Int, dropout: Float = 0) {
        embedding = Embedding(vocabularySize: vocabularySize, dimension: embeddingSize)
        encoder = RecurrentEncoder(inputSize: embeddingSize, hiddenSize: encoderHiddenSize, bidirectional: true) {
            GRUCell(inputSize: $0, hiddenSize: $1)
        }
        bridge = Linear(inputSize: 2 * encoderHiddenSize, outputSize: decoderHiddenSize)
        decoder = GRUCell(inputSize: embeddingSize, hiddenSize: decoderHiddenSize)
        attention = Linear(inputSize: 2 * encoderHiddenSize, outputSize: decoderHiddenSize)
        combine = Linear(inputSize: decoderHiddenSize + 2 * encoderHiddenSize, outputSize: embeddingSize)
        self.dropout = Dropout(rate: dropout)
    }

    public struct Parameters: ParameterGroup {
        public var embedding: Embedding.Parameters
        public var encoder: RecurrentEncoder<GRUCell>.Parameters
        public var bridge: Linear.Parameters
        public var decoder: GRUCell.Parameters
        public var attention: Linear.Parameters
        public var combine: Linear.Parameters
        public var outputBias: Tensor

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try embedding.visitTensors(prefix: prefix + "embedding.", body)
            try encoder.visitTensors(prefix: prefix + "encoder.", body)
            try bridge.visitTensors(prefix: prefix + "bridge.", body)
            try decoder.visitTensors(prefix: prefix + "decoder.", body)
            try attention.visitTensors(prefix: prefix + "attention.", body)
            try combine.visitTensors(prefix: prefix + "combine.", body)
            try body(prefix + "output.bias", &outputBias)
        }
    }

    /// Embedding rows start at N(0, 0.1²): the table is also the output layer, so large rows would make the
    /// first logits large.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var table = embedding.makeParameters(using: &generator)
        table.weight.scale(by: 0.1)
        return Parameters(
            embedding: table, encoder: encoder.makeParameters(using: &generator),
            bridge: bridge.makeParameters(using: &generator), decoder: decoder.makeParameters(using: &generator),
            attention: attention.makeParameters(using: &generator), combine: combine.makeParameters(using: &generator),
            outputBias: .zeros([vocabularySize]))
    }

    /// Output biases at the log of each token's smoothed share of the training targets (`</s>` included), so
    /// the first logits already match the unigram distribution. With the output tied to the embedding table
    /// this matters: from a flat start, every step pushes all frequent tokens' rows toward the same decoder
    /// output to raise their share against the rare ones, the input rows collapse onto one direction, and the
    /// model never learns to read the source (measured on the toy task: loss stuck at the uniform level).
    public static func unigramBias(counts: [Float]) -> Tensor {
        let total = counts.reduce(0, +) + Float(counts.count) * 0.01
        return Tensor(counts.map { logf(($0 + 0.01) / total) })
    }

    /// Time-major ids `[T·B]` (row `t·B + b`), padded with 0, and the lengths.
    static func timeMajor(_ sequences: [[Int]]) -> (ids: [Int], steps: Int, lengths: [Int]) {
        let lengths = sequences.map(\.count), steps = lengths.max() ?? 0, batch = sequences.count
        var ids = [Int](repeating: 0, count: steps * batch)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { ids[t * batch + b] = id }
        }
        return (ids, steps, lengths)
    }

    /// Rows `t·B + b` for `t < length` of a time-major `[T·B, W]` matrix, as `[length, W]`.
    static func gather(_ matrix: Tensor, batch: Int, b: Int, length: Int) -> Tensor {
        var out = Tensor.zeros([length, matrix.columnCount])
        for t in 0..<length { out.setRows(startingAt: t, from: matrix.rows((t * batch + b)..<(t * batch + b + 1))) }
        return out
    }

    /// Adds `[length, W]` rows into rows `t·B + b` of a time-major matrix.
    static func scatterAdd(_ rows: Tensor, into matrix: inout Tensor, batch: Int, b: Int) {
        let width = matrix.columnCount
        for t in 0..<rows.rowCount {
            for c in 0..<width { matrix[flat: (t * batch + b) * width + c] += rows[t, c] }
        }
    }

    /// Mean cross-entropy per target token (each target followed by `</s>`, decoded from `<s>`) and the
    /// gradients of every parameter. Every source needs at least one token.
    public func lossAndGradients(
        sources: [[Int]], targets: [[Int]], startID: Int, endID: Int, parameters: Parameters, training: Bool = true,
        using generator: inout some RandomNumberGenerator
    ) -> (loss: Float, tokens: Int, gradients: Parameters) {
        precondition(sources.count == targets.count && sources.allSatisfy { !$0.isEmpty }, "AttentionTranslatorModel: bad batch")
        let batch = sources.count, width = encoder.outputSize, e = embedding.dimension
        // Encoder.
        let source = Self.timeMajor(sources)
        let (sourceEmbedded, sourceMask) = dropout.forward(
            embedding.forward(source.ids, parameters: parameters.embedding).reshaped([source.steps, batch, e]),
            training: training, using: &generator)
        let full = source.lengths.allSatisfy { $0 == source.steps }
        let (memory, finals, encoderCache) = encoder.forward(
            sourceEmbedded, lengths: full ? nil : source.lengths, parameters: parameters.encoder, using: &generator)
        let bridgeInput = Tensor.concatenatedColumns(finals[0][0], finals[0][1])
        let initial = bridge.forward(bridgeInput, parameters: parameters.bridge).tanh()
        let memoryRows = memory.reshaped([source.steps * batch, width])
        let keys = attention.forward(memoryRows, parameters: parameters.attention)
        // Decoder over the reference prefix.
        let target = Self.timeMajor(targets.map { [startID] + $0 })
        let (targetEmbedded, targetMask) = dropout.forward(
            embedding.forward(target.ids, parameters: parameters.embedding).reshaped([target.steps, batch, e]),
            training: training, using: &generator)
        let decoderRun = Recurrent(cell: decoder)
        let (states, _, decoderCache) = decoderRun.forward(
            targetEmbedded, lengths: target.lengths, initialState: initial, parameters: parameters.decoder)
        let stateRows = states.reshaped([target.steps * batch, decoder.hiddenSize])
        // Attention per sentence, over its real rows only, gathered into N = Σ lengths rows ordered by (b, t).
        var attentionCaches: [LuongAttention.Cache] = []
        var combinedInput = Tensor.zeros([target.lengths.reduce(0, +), decoder.hiddenSize + width])
        var labels: [Int] = []
        var row = 0
        for b in 0..<batch {
            let s = Self.gather(stateRows, batch: batch, b: b, length: target.lengths[b])
            let (context, cache) = LuongAttention.forward(
                states: s, keys: Self.gather(keys, batch: batch, b: b, length: source.lengths[b]),
                memory: Self.gather(memoryRows, batch: batch, b: b, length: source.lengths[b]))
            attentionCaches.append(cache)
            combinedInput.setRows(startingAt: row, from: Tensor.concatenatedColumns(s, context))
            labels += targets[b] + [endID]
            row += target.lengths[b]
        }
        let combined = combine.forward(combinedInput, parameters: parameters.combine).tanh()
        let (output, outputMask) = dropout.forward(combined, training: training, using: &generator)
        var logits = Tensor.zeros([output.rowCount, vocabularySize])
        gemm(output, parameters.embedding.weight, transposeB: true, into: &logits)
        logits.addRowVector(parameters.outputBias)
        let (loss, dLogits) = softmaxCrossEntropy(logits: logits, labels: labels)

        // Backward, in reverse.
        var gradients = parameters.zeros()
        gradients.outputBias.add(dLogits.sumRows())
        gemm(dLogits, transposeA: true, output, into: &gradients.embedding.weight, beta: 1)
        var dOutput = Tensor.zeros(output.shape)
        gemm(dLogits, parameters.embedding.weight, into: &dOutput)
        var dCombined = dropout.backward(dOutput, mask: outputMask)
        dCombined.multiply(by: combined.map { 1 - $0 * $0 })
        let dCombinedInput = combine.backward(
            dOutput: dCombined, input: combinedInput, parameters: parameters.combine, gradients: &gradients.combine)
        var dStateRows = Tensor.zeros(stateRows.shape)
        var dKeys = Tensor.zeros(keys.shape)
        var dMemoryRows = Tensor.zeros(memoryRows.shape)
        row = 0
        for b in 0..<batch {
            let length = target.lengths[b]
            let (dS, dContext) = dCombinedInput.rows(row..<(row + length)).splitColumns(at: decoder.hiddenSize)
            let (dSAttention, dK, dM) = LuongAttention.backward(dContext: dContext, cache: attentionCaches[b])
            Self.scatterAdd(dS + dSAttention, into: &dStateRows, batch: batch, b: b)
            Self.scatterAdd(dK, into: &dKeys, batch: batch, b: b)
            Self.scatterAdd(dM, into: &dMemoryRows, batch: batch, b: b)
            row += length
        }
        dMemoryRows.add(
            attention.backward(dOutput: dKeys, input: memoryRows, parameters: parameters.attention, gradients: &gradients.attention))
        let (dTargetEmbedded, dInitial) = decoderRun.backward(
            dOutputs: dStateRows.reshaped(states.shape), cache: decoderCache, parameters: parameters.decoder,
            gradients: &gradients.decoder)
        embedding.backward(
            dOutput: dropout.backward(dTargetEmbedded, mask: targetMask).reshaped([target.ids.count, e]), ids: target.ids,
            gradients: &gradients.embedding)
        var dBridge = dInitial
        dBridge.multiply(by: initial.map { 1 - $0 * $0 })
        let (dForwardFinal, dBackwardFinal) = bridge.backward(
            dOutput: dBridge, input: bridgeInput, parameters: parameters.bridge, gradients: &gradients.bridge
        ).splitColumns(at: encoder.hiddenSize)
        let dSourceEmbedded = encoder.backward(
            dOutputs: dMemoryRows.reshaped(memory.shape), dFinalStates: [[dForwardFinal, dBackwardFinal]], cache: encoderCache,
            parameters: parameters.encoder, gradients: &gradients.encoder)
        embedding.backward(
            dOutput: dropout.backward(dSourceEmbedded, mask: sourceMask).reshaped([source.ids.count, e]), ids: source.ids,
            gradients: &gradients.embedding)
        return (loss, labels.count, gradients)
    }
}
