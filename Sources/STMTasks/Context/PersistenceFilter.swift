#if canImport(Glibc)
import Glibc
#endif

/// A Bayesian filter over a stream's labels: an HMM whose hidden state is the current document's label, which
/// stays the same from one document to the next with probability `p` and is otherwise drawn uniformly (so it
/// may still come out the same). `p` is unknown: the filter keeps a joint belief over (p, label) for every `p`
/// on a grid and so averages over the grid (Bayesian model averaging), learning a stream's persistence as
/// documents arrive. Each document's evidence is a context-free model's class probabilities sharpened or
/// softened by a temperature fitted on held-out data: `log softmax(z / T)`.
///
/// The state is the joint log-belief `β[g·C + y]` after the last document, shifted to mean zero. Zero is the
/// uniform belief, and scaling the state towards zero flattens the belief (what an idle-time decay
/// `s·exp(−Δt/τ)` should do), so an empty or fully decayed state gives a uniform prior: the context-free answer.
public struct PersistenceFilter: Sendable, Equatable {
    public let classCount: Int
    /// The grid of stay probabilities `p` the filter averages over (each in `0..<1`).
    public let stayProbabilities: [Float]
    /// Divides the context-free logits before they are read as evidence.
    public let temperature: Float

    /// Beliefs further below the best one than this (in log units) are raised to it: negligible for the
    /// result, and it keeps every grid point recoverable when a stream's persistence changes.
    static let logFloor = 40.0

    /// The grid the benchmark and the shipped heads use: no persistence up to 0.99.
    public static let defaultStayProbabilities: [Float] = [0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99]

    public init(classCount: Int, stayProbabilities: [Float] = defaultStayProbabilities, temperature: Float = 1) {
        precondition(classCount >= 2, "PersistenceFilter: at least two classes")
        precondition(!stayProbabilities.isEmpty && stayProbabilities.allSatisfy { $0 >= 0 && $0 < 1 },
                     "PersistenceFilter: stay probabilities must lie in 0..<1")
        precondition(temperature > 0, "PersistenceFilter: temperature must be positive")
        self.classCount = classCount
        self.stayProbabilities = stayProbabilities
        self.temperature = temperature
    }

    /// Length of the state vector: one log-belief per (grid point, label).
    public var stateSize: Int { stayProbabilities.count * classCount }

    /// The joint log-prior `log π[g, y]` for the next document (unnormalised: a shared constant is left in).
    func jointLogPrior(_ state: ArraySlice<Float>) -> [Double] {
        let c = classCount
        var out = [Double](repeating: 0, count: stateSize)
        let base = state.startIndex
        for (g, p) in stayProbabilities.enumerated() {
            var mass = -Double.infinity
            for y in 0..<c { mass = logAddExp(mass, Double(state[base + g * c + y])) }
            let switchTerm = log(1 - Double(p)) + mass - log(Double(c))
            for y in 0..<c {
                out[g * c + y] =
                    p > 0 ? logAddExp(log(Double(p)) + Double(state[base + g * c + y]), switchTerm) : switchTerm
            }
        }
        return out
    }

    /// The class log-prior for the next document, shifted to mean zero (all zero for the uniform belief).
    public func logPrior(state: ArraySlice<Float>) -> [Float] {
        if state.isEmpty { return [Float](repeating: 0, count: classCount) }
        precondition(state.count == stateSize, "PersistenceFilter.logPrior: state \(state.count), expected \(stateSize)")
        let joint = jointLogPrior(state)
        var classes = [Double](repeating: -.infinity, count: classCount)
        for g in stayProbabilities.indices {
            for y in 0..<classCount { classes[y] = logAddExp(classes[y], joint[g * classCount + y]) }
        }
        let mean = classes.reduce(0, +) / Double(classCount)
        return classes.map { Float($0 - mean) }
    }

    /// The evidence a document's context-free logits give: `log softmax(z / T)`.
    public func evidence(logits: [Float]) -> [Float] {
        let scaled = logits.map { Double($0 / temperature) }
        let top = scaled.max() ?? 0
        let total = log(scaled.reduce(0) { $0 + exp($1 - top) }) + top
        return scaled.map { Float($0 - total) }
    }

    /// The state after a document with context-free `logits` (`state` empty: the uniform belief).
    public func advance(state: ArraySlice<Float>, logits: [Float]) -> [Float] {
        precondition(logits.count == classCount, "PersistenceFilter.advance: \(logits.count) logits for \(classCount) classes")
        let state = state.isEmpty ? ArraySlice([Float](repeating: 0, count: stateSize)) : state
        precondition(state.count == stateSize, "PersistenceFilter.advance: state \(state.count), expected \(stateSize)")
        let joint = jointLogPrior(state)
        let evidence = evidence(logits: logits)
        var next = joint.indices.map { joint[$0] + Double(evidence[$0 % classCount]) }
        let top = next.max()!
        for i in next.indices { next[i] = max(next[i] - top, -Self.logFloor) }
        let mean = next.reduce(0, +) / Double(next.count)
        return next.map { Float($0 - mean) }
    }

    /// The filtered class probabilities for a document with context-free `logits`, given the state before it:
    /// `softmax(z / T + log prior)`.
    public func posterior(logits: [Float], state: ArraySlice<Float>) -> [Float] {
        let prior = logPrior(state: state)
        return softmax(zip(evidence(logits: logits), prior).map { $0 + $1 })
    }

    /// The posterior mean of the stay probability: near 0 on a stream without persistence.
    public func expectedStay(state: ArraySlice<Float>) -> Float {
        zip(stayBelief(state: state), stayProbabilities).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The posterior probability of each grid point (how persistent the filter believes the stream is).
    public func stayBelief(state: ArraySlice<Float>) -> [Float] {
        guard !state.isEmpty else { return [Float](repeating: 1 / Float(stayProbabilities.count), count: stayProbabilities.count) }
        var masses = stayProbabilities.indices.map { g in
            (0..<classCount).reduce(-Double.infinity) { logAddExp($0, Double(state[state.startIndex + g * classCount + $1])) }
        }
        let top = masses.max()!
        masses = masses.map { exp($0 - top) }
        let total = masses.reduce(0, +)
        return masses.map { Float($0 / total) }
    }
}

/// `log(eᵃ + eᵇ)` without overflow; −∞ is the identity.
@inline(__always)
func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
}

/// A numerically stable softmax of a short vector.
func softmax(_ values: [Float]) -> [Float] {
    let top = values.max() ?? 0
    let exps = values.map { exp(Double($0 - top)) }
    let total = exps.reduce(0, +)
    return exps.map { Float($0 / total) }
}
