import Foundation
import STMTasks
import STMTensor
import Testing

struct PersistenceFilterTests {
    static let filter = PersistenceFilter(classCount: 3, stayProbabilities: [0, 0.5, 0.9], temperature: 1.5)

    /// The plain forward algorithm for one known stay probability, in Double: the reference the filter must
    /// reproduce when its grid has a single point.
    static func referencePosteriors(logits: [[Float]], stay: Double, temperature: Double) -> [[Double]] {
        let c = logits[0].count
        var belief = [Double](repeating: 1 / Double(c), count: c)
        var out: [[Double]] = []
        for (t, z) in logits.enumerated() {
            let prior = t == 0 ? belief : (0..<c).map { y in stay * belief[y] + (1 - stay) / Double(c) }
            let likelihood = z.map { exp(Double($0) / temperature) }
            var posterior = (0..<c).map { prior[$0] * likelihood[$0] }
            let total = posterior.reduce(0, +)
            posterior = posterior.map { $0 / total }
            out.append(posterior)
            belief = posterior
        }
        return out
    }

    static func randomLogits(count: Int, classes: Int, seed: UInt64) -> [[Float]] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<classes).map { _ in Float.random(in: -3...3, using: &generator) } }
    }

    @Test func singleGridPointIsTheForwardAlgorithm() {
        let filter = PersistenceFilter(classCount: 3, stayProbabilities: [0.8], temperature: 2)
        let logits = Self.randomLogits(count: 40, classes: 3, seed: 7)
        let reference = Self.referencePosteriors(logits: logits, stay: 0.8, temperature: 2)
        var state: [Float] = []
        for (t, z) in logits.enumerated() {
            let posterior = filter.posterior(logits: z, state: state[...])
            for c in 0..<3 { #expect(abs(Double(posterior[c]) - reference[t][c]) < 1e-5, "document \(t) class \(c)") }
            state = filter.advance(state: state[...], logits: z)
        }
    }

    @Test func emptyZeroAndDecayedStatesGiveTheCalibratedContextFreeAnswer() {
        let z: [Float] = [2, -1, 0.5]
        let expected = Self.filter.evidence(logits: z).map { exp($0) }
        var state: [Float] = []
        for _ in 0..<5 { state = Self.filter.advance(state: state[...], logits: [4, 0, 0]) }
        #expect(Self.filter.logPrior(state: state[...])[0] > 1, "five confident class-0 documents favour class 0")
        for candidate in [[], [Float](repeating: 0, count: Self.filter.stateSize), state.map { $0 * 0 }] {
            let posterior = Self.filter.posterior(logits: z, state: candidate[...])
            for c in 0..<3 { #expect(abs(posterior[c] - expected[c]) < 1e-6) }
        }
        let halfDecayed = Self.filter.logPrior(state: state.map { $0 * 0.5 }[...])[0]
        #expect(halfDecayed > 0 && halfDecayed < Self.filter.logPrior(state: state[...])[0], "decay flattens the belief")
    }

    @Test func learnsPersistenceFromTheStream() {
        var state: [Float] = []
        // Long runs of one label with clear evidence: the belief moves to the persistent grid point.
        for t in 0..<60 {
            var z: [Float] = [0, 0, 0]
            z[(t / 20) % 3] = 3
            state = Self.filter.advance(state: state[...], logits: z)
        }
        let belief = Self.filter.stayBelief(state: state[...])
        #expect(belief[2] > 0.9, "stay belief \(belief)")
        state = []
        for t in 0..<60 {
            var z: [Float] = [0, 0, 0]
            z[(t * 7 + t / 3) % 3] = 3
            state = Self.filter.advance(state: state[...], logits: z)
        }
        #expect(Self.filter.stayBelief(state: state[...])[2] < 0.05)
    }

    @Test func stateStaysFiniteOnLongConfidentStreams() {
        var state: [Float] = []
        for t in 0..<5_000 {
            var z: [Float] = [0, 0, 0]
            z[t % 3] = 60
            state = Self.filter.advance(state: state[...], logits: z)
        }
        #expect(state.allSatisfy { $0.isFinite })
        #expect(Self.filter.posterior(logits: [0, 0, 0], state: state[...]).allSatisfy { $0.isFinite })
    }
}

struct StreamOrderTests {
    @Test(arguments: [0.0, 0.5, 0.95, 1.0])
    func everyDocumentOnceAndLabelsPersistAsAsked(persistence: Double) {
        var generator = SplitMix64(seed: 3)
        let labels = (0..<4000).map { $0 % 4 }
        let order = StreamOrder.make(labels: labels, persistence: persistence, using: &generator)
        #expect(order.sorted() == Array(labels.indices))
        let stays = zip(order, order.dropFirst()).filter { labels[$0] == labels[$1] }.count
        let rate = Double(stays) / Double(order.count - 1)
        // Keep with probability p, otherwise a random remaining document (same label a quarter of the time).
        let expected = persistence + (1 - persistence) * 0.25
        #expect(abs(rate - expected) < 0.03, "stay rate \(rate), expected about \(expected)")
    }

    @Test func sameSeedSameOrder() {
        let labels = (0..<300).map { $0 % 3 }
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        #expect(StreamOrder.make(labels: labels, persistence: 0.8, using: &a) == StreamOrder.make(labels: labels, persistence: 0.8, using: &b))
    }
}
