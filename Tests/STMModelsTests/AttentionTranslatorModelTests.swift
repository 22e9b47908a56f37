import Foundation
import STMModels
import STMTensor
import STMTesting
import Testing

/// The attention translator's hand-written backward against finite differences, attention alone and the
/// whole network, a tiny run that must learn to reverse its input, and the safetensors round trip.
struct AttentionTranslatorModelTests {
    @Test func attentionGradientsMatchFiniteDifferences() {
        var generator = SplitMix64(seed: 3)
        let states = Tensor.uniform([3, 4], bound: 1, using: &generator)
        let keys = Tensor.uniform([5, 4], bound: 1, using: &generator)
        let memory = Tensor.uniform([5, 6], bound: 1, using: &generator)
        let projection = RandomProjection(shape: [3, 6], seed: 9)
        let (_, cache) = LuongAttention.forward(states: states, keys: keys, memory: memory)
        let (dStates, dKeys, dMemory) = LuongAttention.backward(dContext: projection.weights, cache: cache)
        let numericStates = GradientCheck.numericGradient(
            of: { projection.loss(LuongAttention.forward(states: $0, keys: keys, memory: memory).context) }, at: states)
        let numericKeys = GradientCheck.numericGradient(
            of: { projection.loss(LuongAttention.forward(states: states, keys: $0, memory: memory).context) }, at: keys)
        let numericMemory = GradientCheck.numericGradient(
            of: { projection.loss(LuongAttention.forward(states: states, keys: keys, memory: $0).context) }, at: memory)
        #expect(GradientCheck.mismatch(analytic: dStates, numeric: numericStates, label: "states") == nil)
        #expect(GradientCheck.mismatch(analytic: dKeys, numeric: numericKeys, label: "keys") == nil)
        #expect(GradientCheck.mismatch(analytic: dMemory, numeric: numericMemory, label: "memory") == nil)
    }

    @Test func modelGradientsMatchFiniteDifferences() {
        let model = AttentionTranslatorModel(vocabularySize: 9, embeddingSize: 3, encoderHiddenSize: 2, decoderHiddenSize: 3)
        var generator = SplitMix64(seed: 21)
        var parameters = model.makeParameters(using: &generator)
        parameters.embedding.weight.scale(by: 10)
        parameters.outputBias = .uniform([9], bound: 0.5, using: &generator)
        // Sources and targets of different lengths, so padding and masking are exercised.
        let sources = [[3, 4, 5], [6], [7, 8]]
        let targets = [[4, 5], [8, 3, 6, 7], []]
        func loss(_ p: AttentionTranslatorModel.Parameters) -> Double {
            var unused = SplitMix64(seed: 0)
            return Double(
                model.lossAndGradients(
                    sources: sources, targets: targets, startID: 1, endID: 2, parameters: p, training: false, using: &unused
                ).loss)
        }
        var unused = SplitMix64(seed: 0)
        let analytic = model.lossAndGradients(
            sources: sources, targets: targets, startID: 1, endID: 2, parameters: parameters, training: false, using: &unused
        ).gradients
        let numeric = GradientCheck.numericGradient(of: loss, at: parameters)
        let failures = GradientCheck.mismatches(analytic: analytic, numeric: numeric, label: "translator")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(analytic.encoder.layers[0][1].wx.scalars.contains { $0 != 0 })
        #expect(analytic.bridge.weight.scalars.contains { $0 != 0 })
    }

    /// Sequences of 2…6 tokens over ids 4..<12; the target is the source reversed.
    static func reversalPairs(count: Int, seed: UInt64) -> [([Int], [Int])] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let length = 2 + Int(generator.next() % 5)
            let source = (0..<length).map { _ in 4 + Int(generator.next() % 8) }
            return (source, Array(source.reversed()))
        }
    }

    /// `unusedTokens` extra ids that never occur (as in a subword vocabulary larger than the toy data); the
    /// output biases start at the data's unigram distribution, without which the tied model does not learn then.
    static func trainReversal(steps: Int, unusedTokens: Int = 0) -> (AttentionTranslatorModel, AttentionTranslatorModel.Parameters) {
        let model = AttentionTranslatorModel(
            vocabularySize: 12 + unusedTokens, embeddingSize: 16, encoderHiddenSize: 24, decoderHiddenSize: 32)
        var generator = SplitMix64(seed: 1)
        var parameters = model.makeParameters(using: &generator)
        var counts = [Float](repeating: 0, count: 12 + unusedTokens)
        for (_, target) in reversalPairs(count: 512, seed: 8) {
            for id in target { counts[id] += 1 }
            counts[2] += 1
        }
        parameters.outputBias = AttentionTranslatorModel.unigramBias(counts: counts)
        var trainer = Trainer(parameters: parameters, optimizer: AdamOptimizer(for: parameters, learningRate: 1e-2), seed: 4)
        let data = reversalPairs(count: 512, seed: 8)
        while trainer.step < steps {
            for batch in trainer.remainingBatches(exampleCount: data.count, batchSize: 32) where trainer.step < steps {
                trainer.train { p, g in
                    let result = model.lossAndGradients(
                        sources: batch.map { data[$0].0 }, targets: batch.map { data[$0].1 }, startID: 1, endID: 2,
                        parameters: p, using: &g)
                    return (result.loss, result.gradients)
                }
            }
            trainer.finishEpoch()
        }
        return (model, trainer.parameters)
    }

    @Test(arguments: [0, 300]) func learnsToReverseAToySequence(_ unusedTokens: Int) {
        let (model, parameters) = Self.trainReversal(steps: 400, unusedTokens: unusedTokens)
        let held = Self.reversalPairs(count: 50, seed: 99)
        for width in [1, 4] {
            let correct = held.filter { source, target in
                model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: width) == target
            }.count
            #expect(correct >= 45, "beam \(width): \(correct)/50 held-out sequences reversed exactly")
        }
    }

    @Test func roundTripsThroughHalfPrecisionSafetensors() throws {
        let model = AttentionTranslatorModel(vocabularySize: 20, embeddingSize: 8, encoderHiddenSize: 6, decoderHiddenSize: 7)
        var generator = SplitMix64(seed: 2)
        let parameters = model.makeParameters(using: &generator)
        let directory = try TemporaryDirectory()
        let path = directory.path + "/weights.safetensors"
        try parameters.write(safetensorsTo: path, dtype: .f16)
        var loaded = model.makeParameters(using: &generator)
        try loaded.load(safetensorsFrom: path)
        let keys = loaded.namedTensors.map(\.key)
        #expect(keys.filter { $0.hasPrefix("embedding") } == ["embedding.weight"])  // tied: one table
        #expect(!keys.contains { $0.contains("output.weight") })
        for (a, b) in zip(parameters.namedTensors, loaded.namedTensors) {
            #expect(a.tensor.maxAbsoluteDifference(b.tensor) <= 1e-3, "\(a.key)")
        }
        let source = [5, 6, 7, 8]
        let first = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: 3, maxLength: 6)
        #expect(first.count <= 6)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size < parameters.scalarCount * 2 + 4096)
    }
}
