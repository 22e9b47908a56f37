import STMLogs
import STMModels
import STMTensor
import STMTesting
import Testing

struct NextKeyModelTests {
    @Test func windowsCoverEveryKeyWithHalfAWindowStride() {
        let model = NextKeyModel(classCount: 10, embeddingSize: 4, hiddenSize: 4)
        let windows = model.windows(of: [1, 2, 3, 4, 5, 6], window: 4)
        #expect(
            windows == [
                .init(inputs: [10, 1, 2, 3], targets: [1, 2, 3, 4]),
                .init(inputs: [2, 3, 4, 5], targets: [3, 4, 5, 6]),
            ])
        #expect(model.windows(of: [], window: 4).isEmpty)
        #expect(model.windows(of: [7], window: 4) == [.init(inputs: [10], targets: [7])])
    }

    @Test func gradientsMatchFiniteDifferences() {
        let model = NextKeyModel(classCount: 5, embeddingSize: 3, hiddenSize: 4)
        var generator = SplitMix64(seed: 7)
        let parameters = model.makeParameters(using: &generator)
        let batch: [NextKeyModel.Window] = [
            .init(inputs: [5, 1, 2], targets: [1, 2, 3]), .init(inputs: [4, 3], targets: [3, 1]),
        ]
        let (_, analytic) = model.lossAndGradients(batch, parameters: parameters)
        let numeric = GradientCheck.numericGradient(
            of: { Double(model.lossAndGradients(batch, parameters: $0).loss) }, at: parameters)
        #expect(GradientCheck.mismatches(analytic: analytic, numeric: numeric, label: "next-key").isEmpty)
    }

    @Test func thePredictorsStepsMatchTheUnrolledModel() {
        let model = NextKeyModel(classCount: 6, embeddingSize: 5, hiddenSize: 8)
        var generator = SplitMix64(seed: 3)
        let parameters = model.makeParameters(using: &generator)
        let predictor = NextKeyPredictor(model: model, parameters: parameters)
        let inputs = [6, 1, 4, 4, 2, 0]
        var lane = predictor.makeLane()
        var scores = [Float](repeating: 0, count: 6)
        for t in inputs.indices {
            predictor.advance(&lane, input: inputs[t])
            predictor.scores(lane, into: &scores)
            let reference = model.scores(after: Array(inputs[...t]), parameters: parameters)
            #expect(zip(scores, reference).allSatisfy { abs($0 - $1) < 1e-4 }, "step \(t): \(scores) vs \(reference)")
        }
        #expect(lane.age == inputs.count)
    }
}
