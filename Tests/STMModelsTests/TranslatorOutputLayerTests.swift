import STMModels
import STMTensor
import Testing

/// The prepared output layer against `h̃·Eᵀ + b` computed plainly, and decoding through it against the
/// reference decoding (the model's own step) on a trained toy translator.
struct TranslatorOutputLayerTests {
    /// The reversal task of `AttentionTranslatorModelTests` with 300 unused ids (vocabulary 312: not a multiple
    /// of 16, so the bf16 layer's padding is exercised), trained once for all tests here.
    static let trained = AttentionTranslatorModelTests.trainReversal(steps: 400, unusedTokens: 300)

    private func logits(_ layer: TranslatorOutputLayer, _ hidden: Tensor) -> [[Float]] {
        var out = [Float](repeating: .nan, count: hidden.rowCount * layer.stride)
        hidden.scalars.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { layer.logits(h.baseAddress!, rows: hidden.rowCount, into: $0.baseAddress!) }
        }
        return (0..<hidden.rowCount).map { Array(out[($0 * layer.stride)..<($0 * layer.stride + layer.vocabularySize)]) }
    }

    @Test(arguments: [1, 5, 7])
    func logitsMatchThePlainProduct(rows: Int) {
        var generator = SplitMix64(seed: 11)
        let table = Tensor.uniform([100, 24], bound: 0.5, using: &generator)
        let bias = Tensor.uniform([100], bound: 1, using: &generator)
        let hidden = Tensor.uniform([rows, 24], bound: 1, using: &generator)
        var expected = matmul(hidden, table, transposeB: true)
        expected.addRowVector(bias)
        let f32 = TranslatorOutputLayer(table: table, bias: bias, precision: .float32)
        #expect(f32.precision == .float32 && f32.stride == 100)
        for (r, row) in logits(f32, hidden).enumerated() {
            for v in 0..<100 { #expect(abs(row[v] - expected[r, v]) <= 1e-5, "f32 [\(r), \(v)]") }
        }
        let bf16 = TranslatorOutputLayer(table: table, bias: bias, precision: .bfloat16)
        #expect(bf16.precision == .bfloat16 && bf16.stride == 112 && bf16.nativeBF16 == FusedKernels.hasBF16GEMM)
        // The table (and, with BF16 dot products, h too) rounded to bf16, relative error ≤ 2⁻⁹ each:
        // |error| ≤ ~2⁻⁸ Σ|h·e| per logit.
        for (r, row) in logits(bf16, hidden).enumerated() {
            for v in 0..<100 {
                var magnitude: Float = 0
                for d in 0..<24 { magnitude += abs(hidden[r, d] * table[v, d]) }
                #expect(abs(row[v] - expected[r, v]) <= magnitude / 256 + 1e-6, "bf16 [\(r), \(v)]")
            }
        }
    }

    @Test(arguments: [1, 4, 5])
    func fastDecodingGivesTheReferenceTokens(beamWidth: Int) {
        let (model, parameters) = Self.trained
        let held = AttentionTranslatorModelTests.reversalPairs(count: 50, seed: 99)
        let f32 = TranslatorOutputLayer(table: parameters.embedding.weight, bias: parameters.outputBias, precision: .float32)
        let bf16 = TranslatorOutputLayer(table: parameters.embedding.weight, bias: parameters.outputBias, precision: .bfloat16)
        let layers = TranslatorDecoderLayers(model: model, parameters: parameters)
        var bf16Same = 0, allBF16Same = 0
        for (source, _) in held {
            let reference = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: beamWidth)
            let fast = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: beamWidth, output: f32)
            #expect(fast == reference, "f32 fused path, beam \(beamWidth), source \(source)")
            let half = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: beamWidth, output: bf16)
            if half == reference { bf16Same += 1 }
            let allHalf = model.translate(
                source, startID: 1, endID: 2, parameters: parameters, beamWidth: beamWidth, output: bf16, decoder: layers)
            if allHalf == reference { allBF16Same += 1 }
        }
        // bf16 scores differ from float32 in the third significant digit: a near-tie may flip, but rarely.
        #expect(bf16Same >= 48, "bf16 output layer: \(bf16Same)/50 the same as the reference")
        #expect(allBF16Same >= 48, "bf16 output and decoder layers: \(allBF16Same)/50 the same as the reference")
    }

    @Test func untrainedModelDecodesTheSameThroughEitherPath() {
        // Flat, near-tied distributions: the hardest case for agreement; f32 must still match token for token.
        let model = AttentionTranslatorModel(vocabularySize: 40, embeddingSize: 8, encoderHiddenSize: 6, decoderHiddenSize: 7)
        var generator = SplitMix64(seed: 5)
        let parameters = model.makeParameters(using: &generator)
        let f32 = TranslatorOutputLayer(table: parameters.embedding.weight, bias: parameters.outputBias, precision: .float32)
        for seed in 0..<10 {
            var g = SplitMix64(seed: UInt64(seed))
            let source = (0..<(2 + seed % 5)).map { _ in 3 + Int(g.next() % 37) }
            let reference = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: 3, maxLength: 8)
            let fast = model.translate(source, startID: 1, endID: 2, parameters: parameters, beamWidth: 3, maxLength: 8, output: f32)
            #expect(fast == reference, "source \(source)")
        }
    }
}
