import Foundation
import STMModels
import STMTasks
import STMTensor
import STMTesting
import Testing

struct ContextHeadTests {
    static let model = ContextHeadModel(
        classCount: 3, hiddenSize: 4,
        filter: PersistenceFilter(classCount: 3, stayProbabilities: [0, 0.6, 0.9], temperature: 1.3))

    /// Trained-looking weights: a random GRU and a non-zero correction, so every context path is live.
    static func parameters(seed: UInt64) -> ContextHeadModel.Parameters {
        var generator = SplitMix64(seed: seed)
        var parameters = model.makeParameters(using: &generator)
        parameters.correction = .uniform([9, 4], bound: 1, using: &generator)
        return parameters
    }

    static func window(seed: UInt64, steps: Int, batch: Int) -> ContextStreamBatch {
        var generator = SplitMix64(seed: seed)
        var window = ContextStreamBatch(logits: [], labels: [], decays: [])
        for t in 0..<steps {
            window.logits.append((0..<batch).map { _ in (0..<3).map { _ in Float.random(in: -2...2, using: &generator) } })
            window.labels.append((0..<batch).map { _ in Int(generator.next() % 3) })
            window.decays.append((0..<batch).map { b in t == 3 && b == 0 ? 0.4 : 1 })
        }
        return window
    }

    @Test func backwardMatchesFiniteDifferences() {
        let window = Self.window(seed: 5, steps: 6, batch: 2)
        let parameters = Self.parameters(seed: 11)
        // Start from a state left by earlier documents, as in the middle of a truncated-BPTT stream.
        var start = ContextHeadModel.CarriedState(model: Self.model, batchSize: 2)
        _ = Self.model.lossAndGradients(Self.window(seed: 6, steps: 3, batch: 2), carried: &start, parameters: parameters)
        var carried = start
        let analytic = Self.model.lossAndGradients(window, carried: &carried, parameters: parameters).gradients
        let numeric = GradientCheck.numericGradient(
            of: { (candidate: ContextHeadModel.Parameters) -> Double in
                var state = start
                return Double(Self.model.lossAndGradients(window, carried: &state, parameters: candidate).loss)
            }, at: parameters, step: 1e-2)
        let problems = GradientCheck.mismatches(analytic: analytic, numeric: numeric, label: "context")
        #expect(problems.isEmpty, "\(problems)")
        #expect(analytic.cell.wx.sumOfSquares() > 0, "the GRU receives gradient")
    }

    @Test func batchedTrainingPathMatchesTheOneDocumentPath() {
        let window = Self.window(seed: 8, steps: 5, batch: 1)
        let parameters = Self.parameters(seed: 3)
        var carried = ContextHeadModel.CarriedState(model: Self.model, batchSize: 1)
        var state: [Float] = []
        for t in 0..<window.steps {
            if window.decays[t][0] != 1 { state = state.map { $0 * window.decays[t][0] } }
            let logits = Self.model.logits(baseLogits: window.logits[t][0], state: state, parameters: parameters)
            let single = ContextStreamBatch(logits: [window.logits[t]], labels: [window.labels[t]], decays: [window.decays[t]])
            let loss = Self.model.lossAndGradients(single, carried: &carried, parameters: parameters).loss
            let expected = -Double(Tensor(shape: [1, 3], scalars: logits).logSoftmax()[0, window.labels[t][0]])
            #expect(abs(Double(loss) - expected) < 1e-5, "document \(t)")
            state = Self.model.advance(state: state, baseLogits: window.logits[t][0], parameters: parameters)
        }
        #expect(zip(state, carried.beliefs[0] + carried.hidden.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    static func head(seed: UInt64, vectorSize: Int = 5) -> ContextHead {
        var generator = SplitMix64(seed: seed)
        let base = Linear(inputSize: vectorSize, outputSize: 3).makeParameters(using: &generator)
        let configuration = ContextHeadConfiguration(
            name: "test-context", version: "1", baseModel: "test", baseModelVersion: "1", labels: ["a", "b", "c"],
            documentVectorSize: vectorSize, hiddenSize: 4, stayProbabilities: [0, 0.6, 0.9], temperature: 1.3)
        return ContextHead(configuration: configuration, trained: parameters(seed: seed), baseHead: base)
    }

    @Test func zeroOrDecayedStateFallsBackToTheContextFreeProbabilities() throws {
        let directory = try TemporaryDirectory()
        try Self.head(seed: 1).write(to: directory.path + "/head", card: "card\n")
        let head = try ContextHead(directory: directory.path + "/head")
        #expect(head.stateSize == 3 * 3 + 4)
        var generator = SplitMix64(seed: 2)
        let vectors = (0..<6).map { _ in (0..<5).map { _ in Float.random(in: -2...2, using: &generator) } }
        var state: [Float] = []
        for vector in vectors.dropLast() { state = head.advance(state: state, documentVector: vector) }
        let e = vectors.last!
        let contextFree = Tensor(shape: [1, 3], scalars: head.baseLogits(documentVector: e)).softmax().scalars
        for candidate in [[], [Float](repeating: 0, count: head.stateSize), state.map { $0 * 0 }] {
            let p = head.probabilities(documentVector: e, state: candidate)
            #expect(zip(p, contextFree).allSatisfy { abs($0 - $1) < 1e-6 }, "\(p) vs \(contextFree)")
        }
        let withContext = head.probabilities(documentVector: e, state: state)
        #expect(zip(withContext, contextFree).contains { abs($0 - $1) > 1e-3 }, "a live state changes the answer")
    }

    @Test func foreignOrDamagedStatesReadAsEmpty() {
        let head = Self.head(seed: 3)
        let e: [Float] = [0.5, -1, 2, 0, 1]
        let contextFree = head.probabilities(documentVector: e, state: [])
        var live: [Float] = []
        for _ in 0..<4 { live = head.advance(state: live, documentVector: e) }
        #expect(head.isUsable(state: live) && head.isUsable(state: []))
        var damaged = live
        damaged[2] = .nan
        for state in [[Float](repeating: 1, count: head.stateSize + 3), damaged] {
            #expect(!head.isUsable(state: state))
            #expect(head.probabilities(documentVector: e, state: state) == contextFree)
            #expect(head.advance(state: state, documentVector: e) == head.advance(state: [], documentVector: e))
            #expect(head.filterProbabilities(documentVector: e, state: state) == head.filterProbabilities(documentVector: e, state: []))
        }
    }

    @Test func loadingReportsTheFileAndTheProblem() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/head"
        #expect(throws: ModelLoadError.unreadable(path: path + "/config.json", reason: "no such file")) {
            try ContextHead(directory: path)
        }
        try Self.head(seed: 1).write(to: path, card: "card\n")
        var tensors = try SafetensorsFile.read(contentsOf: path + "/weights.safetensors").tensors
        tensors["context.correction.weight"] = .zeros([9, 5])
        try SafetensorsFile.write(tensors: tensors, to: path + "/weights.safetensors")
        do {
            _ = try ContextHead(directory: path)
            Issue.record("a wrong shape loaded")
        } catch {
            #expect(error.description.contains("weights.safetensors") && error.description.contains("context.correction.weight"))
        }
        try Data("{\"format\": \"other\"}".utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
        #expect(throws: ModelLoadError.self) { try ContextHead(directory: path) }
    }

    @Test func trainingLearnsToUsePersistentStreams() {
        // Noisy three-class evidence: the context-free model is right about 60% of the time, so a stream
        // whose label persists carries information the head must pick up.
        var generator = SplitMix64(seed: 4)
        let labels = (0..<300).map { $0 % 3 }
        let logits = labels.map { label in
            (0..<3).map { c in Float.random(in: -1.5...1.5, using: &generator) + (c == label ? 1 : 0) }
        }
        var options = ContextTrainingOptions()
        options.rounds = 6
        options.streamsPerRound = 8
        options.hiddenSize = 4
        options.persistences = [0.9]
        let trained = ContextHeadTraining(options: options).run(logits: logits, labels: labels, classCount: 3)
        #expect(trained.temperature > 0)
        #expect(trained.temperatureLoss.after <= trained.temperatureLoss.before)
        let accuracy = trained.lastRoundAccuracy
        #expect(accuracy.head > accuracy.contextFree + 0.1, "\(accuracy)")
    }
}
