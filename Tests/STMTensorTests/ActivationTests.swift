import STMTensor
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct ActivationTests {
    @Test func sigmoidIsStableAndSymmetric() {
        #expect(stmSigmoid(0) == 0.5)
        #expect(stmSigmoid(100) == 1)
        #expect(stmSigmoid(-100) >= 0 && stmSigmoid(-100) < 1e-40)
        for x: Float in [-5, -1, -0.25, 0.25, 1, 5] {
            #expect(abs(stmSigmoid(x) + stmSigmoid(-x) - 1) < 1e-6)
            #expect(abs(stmSigmoid(x) - Float(1 / (1 + exp(-Double(x))))) < 1e-6)
        }
    }

    @Test(arguments: Activation.allCases)
    func derivativeFromOutputMatchesFiniteDifference(_ activation: Activation) {
        for x: Float in [-2, -0.5, 0, 0.7, 1.9] {
            let y = activation.apply(x)
            let numeric = (Double(activation.apply(x + 1e-3)) - Double(activation.apply(x - 1e-3))) / 2e-3
            #expect(abs(Double(activation.derivative(output: y)) - numeric) < 1e-3, "\(activation) at \(x)")
        }
    }

    @Test func softmaxRowsSumToOneEvenForHugeLogits() {
        let logits = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -3, 0, 3])
        let probabilities = logits.softmax()
        #expect(probabilities.scalars.allSatisfy { $0.isFinite && $0 >= 0 })
        for row in 0..<2 {
            let total = (0..<3).reduce(Float(0)) { $0 + probabilities[row, $1] }
            #expect(abs(total - 1) < 1e-6)
        }
        // Softmax is shift-invariant: both rows are [x, x+1, x+2] up to scale of the gaps.
        #expect(abs(probabilities[0, 2] - Float(exp(2.0) / (1 + exp(1.0) + exp(2.0)))) < 1e-6)
    }

    @Test func logSoftmaxEqualsLogOfSoftmaxAndStaysFinite() {
        var generator = SplitMix64(seed: 3)
        let logits = Tensor.uniform([4, 6], bound: 10, using: &generator)
        let logProbabilities = logits.logSoftmax()
        let probabilities = logits.softmax()
        for i in 0..<logits.count {
            #expect(abs(logProbabilities[flat: i] - logf(probabilities[flat: i])) < 1e-4)
        }
        let extreme = Tensor(shape: [1, 2], scalars: [0, -1e4]).logSoftmax()
        #expect(extreme.scalars == [0, -1e4])
    }
}
