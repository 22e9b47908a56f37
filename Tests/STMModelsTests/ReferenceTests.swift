import Foundation
import STMModels
import STMTensor
import Testing

/// The engine against the independent float64 NumPy reference in `Scripts/reference/rnn_reference.py`
/// (forward, final states, loss and every gradient of every fixture, tensor by tensor).
struct ReferenceTests {
    @Test func everyCaseIsPresent() {
        let names = Set(ReferenceFixtures.caseNames())
        for cell in ["elman-sigmoid", "elman-tanh", "gru", "lstm"] {
            for shape in ["single", "stacked-bidirectional"] {
                #expect(names.contains("\(cell)-\(shape)"), "missing fixture \(cell)-\(shape).json")
            }
        }
        #expect(names.contains("linear-cross-entropy"), "missing fixture linear-cross-entropy.json")
    }

    @Test(arguments: ReferenceFixtures.caseNames())
    func engineMatchesNumPyReference(_ name: String) throws {
        let fixture = try ReferenceFixtures.load(name)
        #expect(fixture.case == name)
        #expect(fixture.generator == "python3 Scripts/reference/rnn_reference.py")
        let result = try ReferenceEngine.run(fixture)
        var check = ReferenceEngine.tensorCheck()
        ReferenceEngine.compare(result, with: fixture.expected, using: &check)
        Attachment.record(check.summary.joined(separator: "\n") + "\n", named: "\(name)-numpy.txt")
    }
}

/// What the engine computed for one fixture, keyed as the fixture's `"expected"` is.
struct EngineResult {
    var outputs: Tensor
    /// `"{layer}.{forward|backward}.{h|c}"`.
    var finalStates: [String: Tensor]
    var loss: Double
    /// `"input"`, `"initialState.{h|c}"` and each parameter key.
    var gradients: [String: Tensor]
}

struct UnknownFixtureCell: Error, CustomStringConvertible {
    let cell: String
    var description: String { "fixture cell '\(cell)' is none of elman-sigmoid, elman-tanh, gru, lstm, linear" }
}

/// Runs the engine on a fixture the way the fixture's loss is defined, and compares the result with expectations.
enum ReferenceEngine {
    /// Names of `RecurrentState.components`, in order: the output `h` first, then the LSTM's memory cell `c`.
    static let stateNames = ["h", "c"]

    /// The engine computes in float32 from inputs rounded to float32; the NumPy reference is float64 and PyTorch
    /// float32 with its own summation order. Each element then differs by the rounding accumulated over a few
    /// dozen float32 operations (10 BPTT steps through 2 layers): about 1e-7 relative, 1e-6 at worst on values
    /// of order one. `|a − b| ≤ 1e-5 + 1e-4·|b|` leaves an order of magnitude over that, while a wrong gate
    /// order, a missing bias or a masking slip moves elements by 1e-2 or more.
    static func tensorCheck() -> TensorCheck { TensorCheck(absoluteTolerance: 1e-5, relativeTolerance: 1e-4) }

    static func run(_ fixture: ReferenceFixture) throws -> EngineResult {
        switch fixture.cell {
        case "elman-sigmoid":
            return try runRecurrent(fixture) { ElmanCell(inputSize: $0, hiddenSize: $1, activation: .sigmoid) }
        case "elman-tanh":
            return try runRecurrent(fixture) { ElmanCell(inputSize: $0, hiddenSize: $1, activation: .tanh) }
        case "gru":
            return try runRecurrent(fixture) { GRUCell(inputSize: $0, hiddenSize: $1) }
        case "lstm":
            return try runRecurrent(fixture) { LSTMCell(inputSize: $0, hiddenSize: $1) }
        case "linear":
            return try runLinear(fixture)
        default:
            throw UnknownFixtureCell(cell: fixture.cell)
        }
    }

    /// Forward, then backward with dOutputs = outputWeights and dFinalStates = finalWeights, which is the
    /// gradient of L = Σ outputs ⊙ outputWeights + Σ finalState ⊙ finalWeights.
    static func runRecurrent<Cell: RecurrentCell>(
        _ fixture: ReferenceFixture, makeCell: (_ inputSize: Int, _ hiddenSize: Int) -> Cell
    ) throws -> EngineResult {
        let weights = fixture.parameters.mapValues(\.tensor)
        let input = fixture.input.tensor
        let dOutputs = try #require(fixture.outputWeights, "\(fixture.case): no outputWeights").tensor
        let finalWeights = try #require(fixture.finalWeights, "\(fixture.case): no finalWeights").mapValues(\.tensor)
        let encoder = RecurrentEncoder(
            inputSize: fixture.inputSize, hiddenSize: fixture.hiddenSize, layers: fixture.layers,
            bidirectional: fixture.bidirectional, makeCell: makeCell)
        let directions = fixture.bidirectional ? ["forward", "backward"] : ["forward"]
        let template = encoder.cells[0][0].zeroState(batchSize: fixture.batch)
        func state(_ prefix: String, from tensors: [String: Tensor]) throws -> Cell.State {
            Cell.State(
                components: try template.components.indices.map { index in
                    try #require(
                        tensors[prefix + stateNames[index]], "\(fixture.case): no \(prefix)\(stateNames[index])")
                })
        }
        func named(_ state: Cell.State, prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: state.components.enumerated().map { (prefix + stateNames[$0], $1) })
        }
        // Seeds only the placeholder weights that `load` replaces; dropout is 0 and training is off.
        var generator = SplitMix64(seed: 1)
        var result = EngineResult(outputs: Tensor.zeros([0]), finalStates: [:], loss: 0, gradients: [:])

        if let initialState = fixture.initialState {
            // One layer, one direction and an explicit initial state: drive `Recurrent` directly.
            #expect(fixture.layers == 1 && !fixture.bidirectional, "\(fixture.case): initial state on a stack")
            let cell = encoder.cells[0][0]
            var parameters = cell.makeParameters(using: &generator)
            try parameters.load(from: weights, prefix: "0.forward.")
            let recurrent = Recurrent(cell: cell)
            let initial = try state("", from: initialState.mapValues(\.tensor))
            let run = recurrent.forward(input, lengths: fixture.lengths, initialState: initial, parameters: parameters)
            let dFinal = try state("0.forward.", from: finalWeights)
            var gradients = parameters.zeros()
            let (dInput, dInitial) = recurrent.backward(
                dOutputs: dOutputs, dFinalState: dFinal, cache: run.cache, parameters: parameters,
                gradients: &gradients)
            result.outputs = run.outputs
            result.finalStates = named(run.finalState, prefix: "0.forward.")
            result.gradients = named(dInitial, prefix: "initialState.")
            result.gradients["input"] = dInput
            for (key, tensor) in gradients.namedTensors { result.gradients["0.forward." + key] = tensor }
        } else {
            var parameters = encoder.makeParameters(using: &generator)
            try parameters.load(from: weights)
            let run = encoder.forward(
                input, lengths: fixture.lengths, parameters: parameters, training: false, using: &generator)
            let dFinal = try (0..<fixture.layers).map { layer in
                try directions.map { try state("\(layer).\($0).", from: finalWeights) }
            }
            var gradients = parameters.zeros()
            let dInput = encoder.backward(
                dOutputs: dOutputs, dFinalStates: dFinal, cache: run.cache, parameters: parameters,
                gradients: &gradients)
            result.outputs = run.outputs
            for (layer, states) in run.finalStates.enumerated() {
                for (direction, finalState) in zip(directions, states) {
                    result.finalStates.merge(
                        named(finalState, prefix: "\(layer).\(direction)."), uniquingKeysWith: { $1 })
                }
            }
            result.gradients = Dictionary(uniqueKeysWithValues: gradients.namedTensors.map { ($0.key, $0.tensor) })
            result.gradients["input"] = dInput
        }

        result.loss = dot(result.outputs, dOutputs)
        for (key, finalState) in result.finalStates {
            result.loss += dot(finalState, try #require(finalWeights[key], "\(fixture.case): no finalWeights \(key)"))
        }
        return result
    }

    /// `Linear` then mean softmax cross-entropy over the rows.
    static func runLinear(_ fixture: ReferenceFixture) throws -> EngineResult {
        let linear = Linear(inputSize: fixture.inputSize, outputSize: fixture.hiddenSize)
        var generator = SplitMix64(seed: 1)
        var parameters = linear.makeParameters(using: &generator)
        try parameters.load(from: fixture.parameters.mapValues(\.tensor))
        let input = fixture.input.tensor
        let logits = linear.forward(input, parameters: parameters)
        let labels = try #require(fixture.labels, "\(fixture.case): no labels")
        let (loss, dLogits) = softmaxCrossEntropy(logits: logits, labels: labels)
        var gradients = parameters.zeros()
        let dInput = linear.backward(dOutput: dLogits, input: input, parameters: parameters, gradients: &gradients)
        var named = Dictionary(uniqueKeysWithValues: gradients.namedTensors.map { ($0.key, $0.tensor) })
        named["input"] = dInput
        return EngineResult(outputs: logits, finalStates: [:], loss: Double(loss), gradients: named)
    }

    /// Outputs, each final state, the loss and each gradient, every tensor under its own label; also checks
    /// that the engine produced exactly the final states and gradients expected, no more and no fewer.
    static func compare(_ result: EngineResult, with expected: ReferenceExpectation, using check: inout TensorCheck) {
        if let outputs = expected.outputs {
            check.check("outputs", actual: result.outputs, expected: outputs)
        }
        let finalStates = expected.finalStates ?? [:]
        #expect(Set(result.finalStates.keys) == Set(finalStates.keys), "final state keys")
        for (key, state) in finalStates.sorted(by: { $0.key < $1.key }) {
            guard let actual = result.finalStates[key] else { continue }
            check.check("finalStates.\(key)", actual: actual, expected: state)
        }
        check.check("loss", actual: result.loss, expected: expected.loss)
        #expect(Set(result.gradients.keys) == Set(expected.gradients.keys), "gradient keys")
        for (key, gradient) in expected.gradients.sorted(by: { $0.key < $1.key }) {
            guard let actual = result.gradients[key] else { continue }
            check.check("gradients.\(key)", actual: actual, expected: gradient)
        }
    }

    /// Σ a ⊙ b, accumulated in Double.
    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.count == b.count, "dot: \(a.shape) and \(b.shape)")
        return zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
