import STMModels
import STMTensor
import STMTesting
import Testing

/// The text classifier's two paths (token bags → encoder, document bag) against finite differences, and its
/// inference type against the training path.
struct TextClassifierModelTests {
    private func makeModel(pooling: Pooling, bag: Bool) -> TextClassifierModel<GRUCell> {
        TextClassifierModel(
            tokenRows: 12, embeddingSize: 3, hiddenSize: 3, classCount: 3, bidirectional: true, pooling: pooling,
            bagRows: bag ? 10 : 0, bagSize: bag ? 2 : 0, makeCell: { GRUCell(inputSize: $0, hiddenSize: $1) })
    }

    private let documents = [
        TextFeatures(tokens: [[2, 7, 8], [3], [4, 9]], bag: [2, 3, 6]),
        TextFeatures(tokens: [[5, 10]], bag: [5]),
        TextFeatures(tokens: [], bag: []),
        TextFeatures(tokens: [[1, 11], [2], [6, 6]], bag: [1, 9, 9]),
    ]
    private let labels = [0, 2, 1, 2]

    @Test(arguments: [Pooling.max, .mean, .last])
    func gradientsMatchFiniteDifferences(_ pooling: Pooling) {
        let model = makeModel(pooling: pooling, bag: true)
        var generator = SplitMix64(seed: 3)
        let parameters = model.makeParameters(using: &generator)
        var unused = SplitMix64(seed: 0)
        let analytic = model.lossAndGradients(documents, labels: labels, parameters: parameters, training: false, using: &unused).gradients
        let numeric = GradientCheck.numericGradient(
            of: { candidate in
                var noise = SplitMix64(seed: 0)
                return Double(model.lossAndGradients(documents, labels: labels, parameters: candidate, training: false, using: &noise).loss)
            }, at: parameters)
        let failures = GradientCheck.mismatches(analytic: analytic, numeric: numeric, label: "textClassifier.\(pooling)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // Both tables received gradient (a path that is cut off would leave zeros).
        #expect(analytic.embedding.weight.scalars.contains { $0 != 0 })
        #expect(analytic.bag!.weight.scalars.contains { $0 != 0 })
    }

    @Test func bagPathIsOptional() {
        let model = makeModel(pooling: .max, bag: false)
        var generator = SplitMix64(seed: 5)
        let parameters = model.makeParameters(using: &generator)
        #expect(parameters.bag == nil)
        #expect(!parameters.namedTensors.contains { $0.key.hasPrefix("bag.") })
        #expect(model.head.inputSize == model.encoder.outputSize)
    }

    @Test(arguments: [Pooling.max, .mean, .last])
    func inferenceMatchesTrainingPath(_ pooling: Pooling) {
        let model = makeModel(pooling: pooling, bag: true)
        var generator = SplitMix64(seed: 8)
        let parameters = model.makeParameters(using: &generator)
        var unused = SplitMix64(seed: 0)
        let reference = model.forward(documents, parameters: parameters, using: &unused).logits.softmax()
        let inference = TextClassifierInference(model: model, parameters: parameters, precision: .f32)
        #expect(reference.maxAbsoluteDifference(inference.probabilities(documents)) < 1e-5)
        for (row, document) in documents.enumerated() {
            #expect(reference.rows(row..<(row + 1)).maxAbsoluteDifference(inference.probabilities([document])) < 1e-5)
        }
    }

    /// Tables whose weights are all bfloat16 values (a BF16 bundle's) are held as bfloat16 and give the float32
    /// path's sums bit for bit; any other weight keeps the table in float32.
    @Test func bfloat16TablesGiveTheSameBagMeans() {
        let model = makeModel(pooling: .max, bag: true)
        var generator = SplitMix64(seed: 5)
        var parameters = model.makeParameters(using: &generator)
        let bags = documents.flatMap(\.tokens) + [[], [0, 11, 11, 4]]
        let exact = Tensor(shape: parameters.embedding.weight.shape, scalars: parameters.embedding.weight.scalars.map {
            Float(bitPattern: $0.bitPattern & 0xFFFF_0000)
        })
        let narrow = EmbeddingTable(exact)
        #expect(narrow.isBFloat16)
        let reference = model.tokenEmbedding.forward(bags, parameters: .init(weight: exact))
        #expect(narrow.bagMeans(bags).scalars.map(\.bitPattern) == reference.scalars.map(\.bitPattern))
        let wide = EmbeddingTable(parameters.embedding.weight)
        #expect(!wide.isBFloat16)
        let wideReference = model.tokenEmbedding.forward(bags, parameters: parameters.embedding)
        #expect(wide.bagMeans(bags).scalars.map(\.bitPattern) == wideReference.scalars.map(\.bitPattern))
        // The inference object takes the tables over and gives the training path's probabilities.
        parameters.embedding.weight = exact
        var unused = SplitMix64(seed: 0)
        let probabilities = model.forward(documents, parameters: parameters, using: &unused).logits.softmax()
        let inference = TextClassifierInference(model: model, parameters: parameters, precision: .f32)
        #expect(inference.tokenTable.isBFloat16 && inference.bagTable?.isBFloat16 == false)
        #expect(probabilities.maxAbsoluteDifference(inference.probabilities(documents)) < 1e-5)
        #expect(inference.makeSibling().probabilities(documents).scalars == inference.probabilities(documents).scalars)
    }
}
