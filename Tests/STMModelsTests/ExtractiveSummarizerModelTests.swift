#if canImport(Glibc)
import Glibc
#endif
import STMModels
import STMTensor
import STMTesting
import Testing

/// The SummaRuNNer-style summarizer's hand-written backward against finite differences (scorer alone and the
/// whole network), and a tiny run that must learn which sentence is marked.
struct ExtractiveSummarizerModelTests {
    private func makeModel(chunk: Int = 64, features: Int = 0) -> ExtractiveSummarizerModel {
        var model = ExtractiveSummarizerModel(
            vocabularySize: 12, embeddingSize: 3, wordHiddenSize: 2, sentenceHiddenSize: 3, absolutePositions: 3,
            relativePositions: 2, featureCount: features)
        model.wordChunkSize = chunk
        return model
    }

    /// Three documents of different lengths, one with an empty sentence.
    private let documents: [[[Int]]] = [
        [[2, 7, 8], [3], [4, 9, 9, 1]],
        [[5, 10]],
        [[1, 11], [], [2], [6, 6], [3, 4]],
    ]
    private let labels: [[Float]] = [[1, 0, 1], [0], [0, 1, 0, 1, 1]]

    @Test(arguments: [[Float](), [1, 0, 1, 0, 1], [0.3, 0.9, 0.5, 0.2, 0.7]])
    func scorerGradientsMatchFiniteDifferences(_ fixedWeights: [Float]) {
        let scorer = SentenceScorer(inputSize: 4, absolutePositions: 3, relativePositions: 2)
        var generator = SplitMix64(seed: 11)
        let parameters = scorer.makeParameters(using: &generator)
        var randomized = parameters
        // Non-zero positions and bias, so their gradients are checked away from the initial zeros.
        randomized.absolutePosition = .uniform([3], bound: 0.5, using: &generator)
        randomized.relativePosition = .uniform([2], bound: 0.5, using: &generator)
        let states = Tensor.uniform([5, 4], bound: 1, using: &generator)
        let projection = RandomProjection(shape: [5], seed: 4)
        // Without fixed weights the running summary uses the probabilities, which the gradient treats as
        // constants; that case is checked with the probabilities of the unperturbed point held fixed.
        let weights = fixedWeights.isEmpty ? baselineWeights(scorer, states, randomized) : fixedWeights
        func loss(_ p: SentenceScorer.Parameters, _ x: Tensor) -> Double {
            projection.loss(Tensor(scorer.forward(x, parameters: p, summaryWeights: weights).logits))
        }
        let (_, cache) = scorer.forward(states, parameters: randomized, summaryWeights: weights)
        var gradients = randomized.zeros()
        let dStates = scorer.backward(
            dLogits: projection.weights.scalars, cache: cache, parameters: randomized, gradients: &gradients)
        let numeric = GradientCheck.numericGradient(of: { loss($0, states) }, at: randomized)
        let failures = GradientCheck.mismatches(analytic: gradients, numeric: numeric, label: "scorer")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let numericStates = GradientCheck.numericGradient(of: { loss(randomized, $0) }, at: states)
        #expect(GradientCheck.mismatch(analytic: dStates, numeric: numericStates, label: "scorer.states") == nil)
        #expect(gradients.novelty.scalars.contains { $0 != 0 })
    }

    private func baselineWeights(_ scorer: SentenceScorer, _ states: Tensor, _ p: SentenceScorer.Parameters) -> [Float] {
        scorer.forward(states, parameters: p).logits.map { 1 / (1 + expf(-$0)) }
    }

    /// Two extra numbers per sentence for the feature path.
    private var features: [[[Float]]] {
        documents.enumerated().map { d, document in
            document.indices.map { s in [Float(s) * 0.3 - 0.5, Float(d + s % 2) * 0.4] }
        }
    }

    @Test(arguments: [(64, 0), (2, 0), (64, 2)])
    func modelGradientsMatchFiniteDifferences(_ chunk: Int, _ featureCount: Int) {
        let model = makeModel(chunk: chunk, features: featureCount)
        let features = featureCount > 0 ? self.features : nil
        var generator = SplitMix64(seed: 5)
        var parameters = model.makeParameters(using: &generator)
        parameters.embedding.weight.scale(by: 10)  // back to N(0, 1): gradients well above the check's noise floor
        var unused = SplitMix64(seed: 0)
        let analytic = model.lossAndGradients(
            documents, features: features, labels: labels, parameters: parameters, training: false, summaryWeights: labels,
            using: &unused
        ).gradients
        let numeric = GradientCheck.numericGradient(
            of: { candidate in
                var noise = SplitMix64(seed: 0)
                return Double(
                    model.lossAndGradients(
                        documents, features: features, labels: labels, parameters: candidate, training: false,
                        summaryWeights: labels,
                        using: &noise
                    ).loss)
            }, at: parameters)
        let failures = GradientCheck.mismatches(analytic: analytic, numeric: numeric, label: "summarizer")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(analytic.embedding.weight.scalars.contains { $0 != 0 })
        #expect(analytic.words.layers[0][1].wx.scalars.contains { $0 != 0 })
    }

    @Test func chunkingDoesNotChangeTheLogits() {
        var generator = SplitMix64(seed: 9)
        let parameters = makeModel().makeParameters(using: &generator)
        var noise = SplitMix64(seed: 0)
        let whole = makeModel(chunk: 64).forward(documents, parameters: parameters, using: &noise).logits
        let pieces = makeModel(chunk: 1).forward(documents, parameters: parameters, using: &noise).logits
        for (a, b) in zip(whole.joined(), pieces.joined()) { #expect(abs(a - b) < 1e-5) }
    }

    /// Toy task: each document has one sentence containing the marker word (id 3), anywhere; the model must
    /// learn to rank that sentence first.
    @Test func learnsToPickTheMarkedSentence() {
        var data = SplitMix64(seed: 21)
        func randomDocument() -> (document: [[Int]], labels: [Float]) {
            let count = 3 + Int(data.next() % 4)
            let marked = Int(data.next() % UInt64(count))
            var document: [[Int]] = []
            for s in 0..<count {
                var sentence = (0..<(2 + Int(data.next() % 3))).map { _ in 4 + Int(data.next() % 8) }
                if s == marked { sentence.insert(3, at: Int(data.next() % UInt64(sentence.count))) }
                document.append(sentence)
            }
            return (document, (0..<count).map { $0 == marked ? 1 : 0 })
        }
        let training = (0..<64).map { _ in randomDocument() }
        let testing = (0..<32).map { _ in randomDocument() }
        let model = ExtractiveSummarizerModel(vocabularySize: 12, embeddingSize: 8, wordHiddenSize: 8, sentenceHiddenSize: 8)
        var generator = SplitMix64(seed: 2)
        var trainer = Trainer(
            parameters: model.makeParameters(using: &generator),
            optimizer: AdamOptimizer(for: model.makeParameters(using: &generator), learningRate: 1e-2), seed: 3)
        for _ in 0..<15 {
            for batch in trainer.remainingBatches(exampleCount: training.count, batchSize: 8) {
                trainer.train { parameters, noise in
                    model.lossAndGradients(
                        batch.map { training[$0].document }, labels: batch.map { training[$0].labels },
                        parameters: parameters, using: &noise)
                }
            }
            trainer.finishEpoch()
        }
        var noise = SplitMix64(seed: 0)
        let logits = model.forward(testing.map(\.document), parameters: trainer.parameters, using: &noise).logits
        let correct = zip(logits, testing).filter { scores, example in
            scores.indices.max { scores[$0] < scores[$1] } == example.labels.firstIndex(of: 1)
        }.count
        #expect(correct >= 30, "picked the marked sentence in \(correct) of 32 unseen documents")
    }
}
