#if canImport(Glibc)
import Glibc
#endif
public import STMModels
import STMTensor

/// Settings for training a context head on streams of labelled documents.
public struct ContextTrainingOptions: Sendable {
    public var hiddenSize = 16
    /// Each round orders the training documents into `streamsPerRound` fresh streams and trains on all of them.
    public var rounds = 30
    public var streamsPerRound = 16
    /// Truncated BPTT: gradients flow back this many documents; the state carries on across windows.
    public var window = 25
    /// The persistences the training streams are built with (cycled over the streams of a round); 0 = shuffled.
    public var persistences: [Double] = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98]
    /// Probability that the state is decayed by a random factor in [0, 1) before a document (teaches the
    /// head that a weaker state is still a state, as after an idle time).
    public var decayProbability = 0.02
    public var learningRate: Float = 3e-3
    public var weightDecay: Float = 1e-4
    public var clipNorm: Float = 1
    /// Training streams are cut to this many documents (nil: each stream runs over every document once).
    public var streamLength: Int?
    public var stayProbabilities = PersistenceFilter.defaultStayProbabilities
    public var seed: UInt64 = 1

    public init() {}
}

/// A trained context head's weights and what the run measured.
public struct TrainedContextHead: Sendable {
    public var parameters: ContextHeadModel.Parameters
    public var temperature: Float
    /// Mean cross-entropy of the base model's probabilities on the training documents at T = 1 and at `temperature`.
    public var temperatureLoss: (before: Double, after: Double)
    /// Accuracy on the last round's streams: context-free, filter, head.
    public var lastRoundAccuracy: (contextFree: Double, filter: Double, head: Double)
    public var seconds: Double
}

/// Trains the GRU and correction of a `ContextHeadModel` on streams of documents whose base-model logits are
/// given (the base model is frozen: only its logits are read). The filter's temperature is fitted first, on
/// the same documents, by minimising the cross-entropy of `softmax(z / T)`. Train on documents the base model
/// did not see in training: on its own training data its logits are overconfident, and the head would learn
/// to trust them more than it should on new documents.
public struct ContextHeadTraining: Sendable {
    public let options: ContextTrainingOptions

    public init(options: ContextTrainingOptions) { self.options = options }

    /// `logits[i]`: the base model's logits for document i (held out from its training); `labels[i]`: its class
    /// index. `crossFitted`: more evidence of the same kind from replicas of the base model, each on documents it
    /// did not see in training (cross-fitting): the GRU learns from these too. Each set is rescaled so that its
    /// own fitted temperature maps onto the base model's (`z·T/T_set`), i.e. it is as calibrated as the base
    /// model's evidence. The filter's temperature comes from `logits` alone.
    public func run(
        logits: [[Float]], labels: [Int], classCount: Int, crossFitted: [(logits: [[Float]], labels: [Int])] = [],
        progress: (Int, Float) -> Void = { _, _ in }
    ) -> TrainedContextHead {
        precondition(logits.count == labels.count && !labels.isEmpty, "ContextHeadTraining: \(logits.count) logits, \(labels.count) labels")
        let clock = ContinuousClock()
        let started = clock.now
        let temperature = Self.fitTemperature(logits: logits, labels: labels)
        let primary = (logits: logits, labels: labels)
        var pool = (logits: logits, labels: labels)
        for set in crossFitted {
            let scale = temperature / Self.fitTemperature(logits: set.logits, labels: set.labels)
            pool.logits += set.logits.map { $0.map { $0 * scale } }
            pool.labels += set.labels
        }
        let logits = pool.logits, labels = pool.labels
        let length = min(options.streamLength ?? labels.count, labels.count)
        let filter = PersistenceFilter(
            classCount: classCount, stayProbabilities: options.stayProbabilities, temperature: temperature)
        let model = ContextHeadModel(classCount: classCount, hiddenSize: options.hiddenSize, filter: filter)
        var generator = SplitMix64(seed: options.seed)
        var parameters = model.makeParameters(using: &generator)
        var optimizer = AdamOptimizer.adamW(
            for: parameters, learningRate: options.learningRate, weightDecay: options.weightDecay)
        var accuracy = (contextFree: 0.0, filter: 0.0, head: 0.0)
        for round in 0..<options.rounds {
            let batch = options.streamsPerRound
            let orders = (0..<batch).map { b in
                StreamOrder.make(
                    labels: labels, persistence: options.persistences[(round * batch + b) % options.persistences.count],
                    using: &generator
                ).prefix(length).map { $0 }
            }
            var carried = ContextHeadModel.CarriedState(model: model, batchSize: batch)
            var correct = (contextFree: 0, filter: 0, head: 0)
            var roundLoss: Float = 0
            var windows = 0
            for start in stride(from: 0, to: length, by: options.window) {
                let steps = min(options.window, length - start)
                var window = ContextStreamBatch(logits: [], labels: [], decays: [])
                for t in start..<(start + steps) {
                    window.logits.append(orders.map { logits[$0[t]] })
                    window.labels.append(orders.map { labels[$0[t]] })
                    window.decays.append((0..<batch).map { _ in
                        Double.random(in: 0..<1, using: &generator) < options.decayProbability
                            ? Float.random(in: 0..<1, using: &generator) : 1
                    })
                }
                let filterCorrect = Self.filterCorrect(window, beliefs: carried.beliefs, filter: filter)
                let step = model.lossAndGradients(window, carried: &carried, parameters: parameters)
                var gradients = step.gradients
                clipByGlobalNorm(&gradients, maxNorm: options.clipNorm)
                optimizer.update(&parameters, gradients: gradients)
                roundLoss += step.loss
                windows += 1
                correct.head += step.correct
                correct.filter += filterCorrect
                for t in 0..<steps {
                    for b in 0..<batch where argmax(window.logits[t][b]) == window.labels[t][b] { correct.contextFree += 1 }
                }
            }
            let total = Double(length * batch)
            accuracy = (Double(correct.contextFree) / total, Double(correct.filter) / total, Double(correct.head) / total)
            progress(round + 1, roundLoss / Float(max(windows, 1)))
        }
        let elapsed = clock.now - started
        return TrainedContextHead(
            parameters: parameters, temperature: temperature,
            temperatureLoss: (Self.meanLoss(logits: primary.logits, labels: primary.labels, temperature: 1),
                              Self.meanLoss(logits: primary.logits, labels: primary.labels, temperature: temperature)),
            lastRoundAccuracy: accuracy,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// The logits `W·e + b` of a linear head for each document vector.
    public static func logits(of vectors: [[Float]], head: Linear.Parameters) -> [[Float]] {
        vectors.map { e in
            (0..<head.weight.rowCount).map { c in
                var total = head.bias[flat: c]
                for j in e.indices { total += head.weight[c, j] * e[j] }
                return total
            }
        }
    }

    /// Correct predictions of the filter alone on a window (with the window's decays applied to its belief).
    static func filterCorrect(_ window: ContextStreamBatch, beliefs: [[Float]], filter: PersistenceFilter) -> Int {
        var beliefs = beliefs
        var correct = 0
        for t in 0..<window.steps {
            for b in 0..<window.batchSize {
                if window.decays[t][b] != 1 { beliefs[b] = beliefs[b].map { $0 * window.decays[t][b] } }
                let z = window.logits[t][b]
                if argmax(filter.posterior(logits: z, state: beliefs[b][...])) == window.labels[t][b] { correct += 1 }
                beliefs[b] = filter.advance(state: beliefs[b][...], logits: z)
            }
        }
        return correct
    }

    /// The temperature minimising the mean cross-entropy of `softmax(z / T)` (a log-spaced grid over
    /// 0.1…20, then a finer grid around the best point).
    public static func fitTemperature(logits: [[Float]], labels: [Int]) -> Float {
        var best = (temperature: 1.0, loss: meanLoss(logits: logits, labels: labels, temperature: 1))
        for i in 0...200 {
            let t = 0.1 * pow(200.0, Double(i) / 200)
            let loss = meanLoss(logits: logits, labels: labels, temperature: Float(t))
            if loss < best.loss { best = (t, loss) }
        }
        let center = best.temperature
        for i in -50...50 {
            let t = center * (1 + Double(i) / 1000)
            let loss = meanLoss(logits: logits, labels: labels, temperature: Float(t))
            if loss < best.loss { best = (t, loss) }
        }
        return Float(best.temperature)
    }

    /// Mean cross-entropy of `softmax(z / T)` against the labels.
    public static func meanLoss(logits: [[Float]], labels: [Int], temperature: Float) -> Double {
        var total = 0.0
        for (z, label) in zip(logits, labels) {
            let scaled = z.map { Double($0 / temperature) }
            let top = scaled.max()!
            total += log(scaled.reduce(0) { $0 + exp($1 - top) }) + top - scaled[label]
        }
        return total / Double(labels.count)
    }
}

/// Index of the largest value (the first one on ties).
func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
