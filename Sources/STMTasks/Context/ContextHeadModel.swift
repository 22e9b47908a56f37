public import STMModels
public import STMTensor

/// The math of a context-aware classification head, for one document or a batch of streams.
///
/// Per document, with `z = W·e + b` the frozen context-free head's logits of the document vector `e`, and the
/// stream state `s = [β; h]` left by the previous documents (β: a `PersistenceFilter`'s belief, h: a GRU state):
///
///     λ      = the filter's class log-prior from β          (0 when β = 0)
///     w      = the filter's belief over its stay-probability grid (how persistent the stream looks)
///     logits = z + T·λ + Σ_g w_g·p_g·U_g·h                   (= z when s = 0: the context-free answer)
///     h'     = GRU(h, [log softmax(z/T); λ])
///     β'     = the filter's update of β with z
///
/// `z + T·λ` ranks classes exactly as the filter's posterior `softmax(z/T + λ)` does, so with `U = 0` (its
/// initial value) the head *is* the filter; training moves `U` and the GRU only where sequences show a gain.
/// The correction has one matrix per grid point, weighted by the filter's belief in that point and its stay
/// probability: a stream the filter has found to have no persistence gets no correction (its previous documents
/// say nothing about the next one), and the head can correct differently at different persistences.
/// Both context terms vanish at `s = 0` by construction (λ is centred, `U·h` has no bias), so an empty or fully
/// decayed state gives exactly the context-free probabilities.
public struct ContextHeadModel: Sendable {
    public let classCount: Int
    public let hiddenSize: Int
    public let filter: PersistenceFilter
    public let cell: GRUCell

    public init(classCount: Int, hiddenSize: Int, filter: PersistenceFilter) {
        precondition(filter.classCount == classCount, "ContextHeadModel: filter has \(filter.classCount) classes")
        self.classCount = classCount
        self.hiddenSize = hiddenSize
        self.filter = filter
        cell = GRUCell(inputSize: 2 * classCount, hiddenSize: hiddenSize)
    }

    /// Keys: `cell.wx`, `cell.wh`, `cell.bx`, `cell.bh` (the GRU, PyTorch layout) and `correction.weight`
    /// `[G·C, H]` (rows `g·C + c`: grid point g, class c).
    public struct Parameters: ParameterGroup {
        public var cell: GatedCellParameters
        public var correction: Tensor

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try cell.visitTensors(prefix: prefix + "cell.", body)
            try body(prefix + "correction.weight", &correction)
        }
    }

    /// A random GRU and a zero correction: the untrained head is the filter.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        Parameters(
            cell: cell.makeParameters(using: &generator),
            correction: .zeros([filter.stayProbabilities.count * classCount, hiddenSize]))
    }

    /// Length of the state vector `[β; h]`.
    public var stateSize: Int { filter.stateSize + hiddenSize }

    /// The head's logits for one document (`state` empty: zero state).
    public func logits(baseLogits z: [Float], state: [Float], parameters: Parameters) -> [Float] {
        guard !state.isEmpty else { return z }
        precondition(state.count == stateSize, "ContextHeadModel.logits: state \(state.count), expected \(stateSize)")
        let beliefs = state[0..<filter.stateSize]
        let prior = filter.logPrior(state: beliefs)
        let gates = gridGates(beliefs)
        let h = state[filter.stateSize...]
        return (0..<classCount).map { c in
            var correction: Float = 0
            for (g, gate) in gates.enumerated() {
                var row: Float = 0
                for (j, value) in h.enumerated() { row += parameters.correction[g * classCount + c, j] * value }
                correction += gate * row
            }
            return z[c] + filter.temperature * prior[c] + correction
        }
    }

    /// `w_g · p_g` for each grid point: the weight of its correction matrix.
    func gridGates(_ beliefs: ArraySlice<Float>) -> [Float] {
        zip(filter.stayBelief(state: beliefs), filter.stayProbabilities).map { $0 * $1 }
    }

    /// The state after one document with context-free logits `z`.
    public func advance(state: [Float], baseLogits z: [Float], parameters: Parameters) -> [Float] {
        let state = state.isEmpty ? [Float](repeating: 0, count: stateSize) : state
        precondition(state.count == stateSize, "ContextHeadModel.advance: state \(state.count), expected \(stateSize)")
        let beliefs = state[0..<filter.stateSize]
        let prior = filter.logPrior(state: beliefs)
        let input = Tensor(shape: [1, 2 * classCount], scalars: filter.evidence(logits: z) + prior)
        let h = Tensor(shape: [1, hiddenSize], scalars: Array(state[filter.stateSize...]))
        let next = cell.forward(input, state: h, parameters: parameters.cell).state
        return filter.advance(state: beliefs, logits: z) + next.scalars
    }
}

/// A batch of training streams cut into windows: the states carried from one window to the next.
public struct ContextStreamBatch: Sendable {
    /// `[t][b]`: context-free logits, labels and the decay factor applied to the state before document t.
    public var logits: [[[Float]]]
    public var labels: [[Int]]
    public var decays: [[Float]]

    public init(logits: [[[Float]]], labels: [[Int]], decays: [[Float]]) {
        self.logits = logits
        self.labels = labels
        self.decays = decays
    }

    public var steps: Int { labels.count }
    public var batchSize: Int { labels.first?.count ?? 0 }
}

extension ContextHeadModel {
    /// The stream states of a batch between windows (no gradient flows across a window's start: truncated BPTT).
    public struct CarriedState: Sendable {
        public var beliefs: [[Float]]
        public var hidden: Tensor

        public init(model: ContextHeadModel, batchSize: Int) {
            beliefs = [[Float]](repeating: [Float](repeating: 0, count: model.filter.stateSize), count: batchSize)
            hidden = .zeros([batchSize, model.hiddenSize])
        }
    }

    /// Mean cross-entropy over every document of the window and its gradients (BPTT through the window);
    /// `carried` moves to the end of the window. Also returns the number of correct predictions.
    public func lossAndGradients(
        _ window: ContextStreamBatch, carried: inout CarriedState, parameters: Parameters
    ) -> (loss: Float, correct: Int, gradients: Parameters) {
        let batch = window.batchSize, c = classCount
        var previousHidden: [Tensor] = []
        var caches: [CellStepCache<GRUCell.StepCache>] = []
        var dLogitsPerStep: [Tensor] = []
        var gatesPerStep: [[[Float]]] = []
        var totalLoss: Float = 0
        var correct = 0
        for t in 0..<window.steps {
            for b in 0..<batch where window.decays[t][b] != 1 {
                let d = window.decays[t][b]
                carried.beliefs[b] = carried.beliefs[b].map { $0 * d }
                for j in 0..<hiddenSize { carried.hidden[b, j] *= d }
            }
            let gridCount = filter.stayProbabilities.count
            var perGrid = Tensor.zeros([batch, gridCount * c])
            gemm(carried.hidden, parameters.correction, transposeB: true, into: &perGrid)
            var logits = Tensor.zeros([batch, c])
            var input = Tensor.zeros([batch, 2 * c])
            var gates = [[Float]](repeating: [], count: batch)
            for b in 0..<batch {
                let z = window.logits[t][b]
                gates[b] = gridGates(carried.beliefs[b][...])
                for g in 0..<gridCount {
                    for k in 0..<c { logits[b, k] += gates[b][g] * perGrid[b, g * c + k] }
                }
                let prior = filter.logPrior(state: carried.beliefs[b][...])
                let evidence = filter.evidence(logits: z)
                for k in 0..<c {
                    logits[b, k] += z[k] + filter.temperature * prior[k]
                    input[b, k] = evidence[k]
                    input[b, c + k] = prior[k]
                }
                var best = 0
                for k in 1..<c where logits[b, k] > logits[b, best] { best = k }
                if best == window.labels[t][b] { correct += 1 }
                carried.beliefs[b] = filter.advance(state: carried.beliefs[b][...], logits: z)
            }
            let (loss, dLogits) = softmaxCrossEntropy(logits: logits, labels: window.labels[t])
            totalLoss += loss / Float(window.steps)
            dLogitsPerStep.append(dLogits)
            gatesPerStep.append(gates)
            previousHidden.append(carried.hidden)
            let step = cell.forward(input, state: carried.hidden, parameters: parameters.cell)
            caches.append(step.cache)
            carried.hidden = step.state
        }
        var gradients = parameters.zeros()
        var dHidden = Tensor.zeros([batch, hiddenSize])
        let scale = 1 / Float(window.steps)
        for t in (0..<window.steps).reversed() {
            // Each grid point's correction enters the logits with its gate: so does its gradient.
            let gridCount = filter.stayProbabilities.count
            var dPerGrid = Tensor.zeros([batch, gridCount * c])
            for b in 0..<batch {
                for g in 0..<gridCount {
                    for k in 0..<c { dPerGrid[b, g * c + k] = gatesPerStep[t][b][g] * dLogitsPerStep[t][b, k] * scale }
                }
            }
            let (_, dPrevious) = cell.backward(
                dOutput: .zeros([batch, hiddenSize]), dState: dHidden, cache: caches[t], parameters: parameters.cell,
                gradients: &gradients.cell)
            dHidden = dPrevious
            gemm(dPerGrid, transposeA: true, previousHidden[t], into: &gradients.correction, beta: 1)
            gemm(dPerGrid, parameters.correction, into: &dHidden, beta: 1)
            for b in 0..<batch where window.decays[t][b] != 1 {
                for j in 0..<hiddenSize { dHidden[b, j] *= window.decays[t][b] }
            }
        }
        return (totalLoss, correct, gradients)
    }
}
