import STMModels
import STMTensor
import STMTesting
import Testing

/// Finite-difference checks of every analytic backward in the engine: inputs, states and each parameter.
/// Tolerances and why they suffice are documented on `GradientCheck`.
struct GradientCheckTests {
    @Test(arguments: CellCase.allCases)
    func cellStepMatchesFiniteDifferences(_ kind: CellCase) {
        let failures = kind.with(inputSize: 3, hiddenSize: 4, SingleStepCheck())
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test(arguments: CellCase.allCases)
    func maskedUnrollMatchesFiniteDifferences(_ kind: CellCase) {
        let failures = kind.with(inputSize: 3, hiddenSize: 3, UnrollCheck())
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test(arguments: CellCase.allCases)
    func bidirectionalStackWithDropoutMatchesFiniteDifferences(_ kind: CellCase) {
        let failures = kind.with(inputSize: 2, hiddenSize: 3, EncoderCheck())
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func linearMatchesFiniteDifferences() {
        var generator = SplitMix64(seed: 11)
        let linear = Linear(inputSize: 4, outputSize: 3)
        let parameters = linear.makeParameters(using: &generator)
        let x = Tensor.uniform([5, 4], bound: 1, using: &generator)
        let projection = RandomProjection(shape: [5, 3], seed: 12)
        var gradients = parameters.zeros()
        let dx = linear.backward(
            dOutput: projection.weights, input: x, parameters: parameters, gradients: &gradients)
        let numericX = GradientCheck.numericGradient(of: { projection.loss(linear.forward($0, parameters: parameters)) }, at: x)
        let numericParameters = GradientCheck.numericGradient(
            of: { projection.loss(linear.forward(x, parameters: $0)) }, at: parameters)
        #expect(GradientCheck.mismatch(analytic: dx, numeric: numericX, label: "linear.input") == nil)
        #expect(GradientCheck.mismatches(analytic: gradients, numeric: numericParameters, label: "linear").isEmpty)
    }

    @Test func embeddingMatchesFiniteDifferences() {
        var generator = SplitMix64(seed: 21)
        let embedding = Embedding(vocabularySize: 6, dimension: 3)
        let parameters = embedding.makeParameters(using: &generator)
        let ids = [0, 2, 2, 5, 1]
        let projection = RandomProjection(shape: [5, 3], seed: 22)
        var gradients = parameters.zeros()
        embedding.backward(dOutput: projection.weights, ids: ids, gradients: &gradients)
        let numeric = GradientCheck.numericGradient(
            of: { projection.loss(embedding.forward(ids, parameters: $0)) }, at: parameters)
        #expect(GradientCheck.mismatches(analytic: gradients, numeric: numeric, label: "embedding").isEmpty)
        // Row 3 and 4 were never read: their gradient must be exactly zero.
        #expect(gradients.weight.rows(3..<5).scalars.allSatisfy { $0 == 0 })
    }

    @Test func embeddingBagMatchesFiniteDifferences() {
        var generator = SplitMix64(seed: 23)
        let bag = EmbeddingBag(rowCount: 9, dimension: 3)
        let parameters = bag.makeParameters(using: &generator)
        let bags = [[0, 5, 6], [2], [], [4, 4, 8, 1]]
        let projection = RandomProjection(shape: [4, 3], seed: 24)
        var gradients = parameters.zeros()
        bag.backward(dOutput: projection.weights, bags: bags, gradients: &gradients)
        let numeric = GradientCheck.numericGradient(of: { projection.loss(bag.forward(bags, parameters: $0)) }, at: parameters)
        #expect(GradientCheck.mismatches(analytic: gradients, numeric: numeric, label: "embeddingBag").isEmpty)
        // The empty bag is a zero row; a bag of one is that row.
        let out = bag.forward(bags, parameters: parameters)
        #expect(out.rows(2..<3).scalars == [0, 0, 0])
        #expect(out.rows(1..<2) == parameters.weight.rows(2..<3))
    }

    @Test func weightedCrossEntropyMatchesFiniteDifferences() {
        var generator = SplitMix64(seed: 31)
        let logits = Tensor.uniform([4, 5], bound: 3, using: &generator)
        let labels = [0, 4, 2, 2]
        let weights: [Float] = [1, 0.5, 0, 2]
        let dLogits = softmaxCrossEntropy(logits: logits, labels: labels, weights: weights).dLogits
        let numeric = GradientCheck.numericGradient(
            of: { Double(softmaxCrossEntropy(logits: $0, labels: labels, weights: weights).loss) }, at: logits,
            step: 1e-2)
        #expect(GradientCheck.mismatch(analytic: dLogits, numeric: numeric, label: "crossEntropy.logits") == nil)
        // A zero-weight row contributes nothing.
        #expect(dLogits.rows(2..<3).scalars.allSatisfy { $0 == 0 })
    }

    /// The check itself must be able to fail: a gradient 5% off, or with one element's sign flipped, is caught.
    @Test func checkRejectsSlightlyWrongGradients() {
        var generator = SplitMix64(seed: 41)
        let cell = GRUCell(inputSize: 3, hiddenSize: 4)
        let parameters = cell.makeParameters(using: &generator)
        let x = Tensor.uniform([2, 3], bound: 1, using: &generator)
        let h = Tensor.uniform([2, 4], bound: 0.8, using: &generator)
        let projection = RandomProjection(shape: [2, 4], seed: 42)
        var gradients = parameters.zeros()
        let cache = cell.forward(x, state: h, parameters: parameters).cache
        _ = cell.backward(
            dOutput: projection.weights, dState: h.zeroed(), cache: cache, parameters: parameters, gradients: &gradients)
        let numeric = GradientCheck.numericGradient(
            of: { projection.loss(cell.forward(x, state: h, parameters: $0).output) }, at: parameters)
        #expect(GradientCheck.mismatches(analytic: gradients, numeric: numeric, label: "gru").isEmpty)
        var scaled = gradients
        scaled.scale(by: 1.05)
        #expect(!GradientCheck.mismatches(analytic: scaled, numeric: numeric, label: "gru").isEmpty)
        var flipped = gradients
        let largest = flipped.wh.scalars.indices.max { abs(flipped.wh[flat: $0]) < abs(flipped.wh[flat: $1]) }!
        flipped.wh[flat: largest] = -flipped.wh[flat: largest]
        #expect(!GradientCheck.mismatches(analytic: flipped, numeric: numeric, label: "gru").isEmpty)
    }
}

/// One step: gradients for the input, every state component and every parameter.
private struct SingleStepCheck: CellCaseVisitor {
    func visit<Cell: RecurrentCell>(_ cell: Cell) -> [String] {
        var generator = SplitMix64(seed: 1)
        let parameters = cell.makeParameters(using: &generator)
        let x = Tensor.uniform([2, cell.inputSize], bound: 1, using: &generator)
        let state = randomState(cell, batch: 2, using: &generator)
        let outputLoss = RandomProjection(shape: [2, cell.hiddenSize], seed: 2)
        let stateLoss = StateProjection(like: state, seed: 3)
        func loss(_ x: Tensor, _ state: Cell.State, _ parameters: Cell.Parameters) -> Double {
            let step = cell.forward(x, state: state, parameters: parameters)
            return outputLoss.loss(step.output) + stateLoss.loss(step.state)
        }
        var gradients = parameters.zeros()
        let cache = cell.forward(x, state: state, parameters: parameters).cache
        let (dx, dState) = cell.backward(
            dOutput: outputLoss.weights, dState: stateLoss.gradient, cache: cache, parameters: parameters,
            gradients: &gradients)
        var failures = GradientCheck.mismatches(
            analytic: gradients,
            numeric: GradientCheck.numericGradient(of: { loss(x, state, $0) }, at: parameters), label: "parameters")
        failures += [
            GradientCheck.mismatch(
                analytic: dx, numeric: GradientCheck.numericGradient(of: { loss($0, state, parameters) }, at: x),
                label: "input")
        ].compactMap { $0 }
        for (index, component) in state.components.enumerated() {
            let numeric = GradientCheck.numericGradient(
                of: { probe in
                    var components = state.components
                    components[index] = probe
                    return loss(x, Cell.State(components: components), parameters)
                }, at: component)
            if let failure = GradientCheck.mismatch(
                analytic: dState.components[index], numeric: numeric, label: "state[\(index)]")
            {
                failures.append(failure)
            }
        }
        return failures
    }
}

/// A padded batch through `Recurrent`: input, initial state and parameters.
private struct UnrollCheck: CellCaseVisitor {
    func visit<Cell: RecurrentCell>(_ cell: Cell) -> [String] {
        var generator = SplitMix64(seed: 5)
        let recurrent = Recurrent(cell: cell)
        let parameters = cell.makeParameters(using: &generator)
        let (steps, batch) = (4, 3)
        let lengths = [4, 2, 3]
        let input = Tensor.uniform([steps, batch, cell.inputSize], bound: 1, using: &generator)
        let initial = randomState(cell, batch: batch, using: &generator)
        let outputLoss = RandomProjection(shape: [steps, batch, cell.hiddenSize], seed: 6)
        let finalLoss = StateProjection(like: initial, seed: 7)
        func loss(_ input: Tensor, _ initial: Cell.State, _ parameters: Cell.Parameters) -> Double {
            let run = recurrent.forward(input, lengths: lengths, initialState: initial, parameters: parameters)
            return outputLoss.loss(run.outputs) + finalLoss.loss(run.finalState)
        }
        let run = recurrent.forward(input, lengths: lengths, initialState: initial, parameters: parameters)
        var gradients = parameters.zeros()
        let (dInput, dInitial) = recurrent.backward(
            dOutputs: outputLoss.weights, dFinalState: finalLoss.gradient, cache: run.cache,
            parameters: parameters, gradients: &gradients)
        var failures = GradientCheck.mismatches(
            analytic: gradients,
            numeric: GradientCheck.numericGradient(of: { loss(input, initial, $0) }, at: parameters),
            label: "parameters")
        if let failure = GradientCheck.mismatch(
            analytic: dInput,
            numeric: GradientCheck.numericGradient(of: { loss($0, initial, parameters) }, at: input), label: "input")
        {
            failures.append(failure)
        }
        for (index, component) in initial.components.enumerated() {
            let numeric = GradientCheck.numericGradient(
                of: { probe in
                    var components = initial.components
                    components[index] = probe
                    return loss(input, Cell.State(components: components), parameters)
                }, at: component)
            if let failure = GradientCheck.mismatch(
                analytic: dInitial.components[index], numeric: numeric, label: "initialState[\(index)]")
            {
                failures.append(failure)
            }
        }
        return failures
    }
}

/// Two bidirectional layers with dropout between them, padded batch. The dropout mask is fixed by reseeding
/// the generator for every evaluation.
private struct EncoderCheck: CellCaseVisitor {
    func visit<Cell: RecurrentCell>(_ prototype: Cell) -> [String] {
        let kind = prototype
        let encoder = RecurrentEncoder(
            inputSize: prototype.inputSize, hiddenSize: prototype.hiddenSize, layers: 2, bidirectional: true,
            dropout: 0.3, makeCell: { kind.resized(inputSize: $0, hiddenSize: $1) })
        var generator = SplitMix64(seed: 8)
        let parameters = encoder.makeParameters(using: &generator)
        let (steps, batch) = (4, 3)
        let lengths = [4, 1, 3]
        let input = Tensor.uniform([steps, batch, prototype.inputSize], bound: 1, using: &generator)
        let outputLoss = RandomProjection(shape: [steps, batch, encoder.outputSize], seed: 9)
        func run(_ input: Tensor, _ parameters: RecurrentEncoder<Cell>.Parameters) -> (Tensor, [[Cell.State]], RecurrentEncoder<Cell>.Cache) {
            var dropoutGenerator = SplitMix64(seed: 10)
            return encoder.forward(input, lengths: lengths, parameters: parameters, training: true, using: &dropoutGenerator)
        }
        let (_, finals, cache) = run(input, parameters)
        let finalLosses = finals.enumerated().map { l, layer in
            layer.enumerated().map { d, state in StateProjection(like: state, seed: 100 + UInt64(10 * l + d)) }
        }
        func loss(_ input: Tensor, _ parameters: RecurrentEncoder<Cell>.Parameters) -> Double {
            let (outputs, finals, _) = run(input, parameters)
            var total = outputLoss.loss(outputs)
            for l in finals.indices { for d in finals[l].indices { total += finalLosses[l][d].loss(finals[l][d]) } }
            return total
        }
        var gradients = parameters.zeros()
        let dInput = encoder.backward(
            dOutputs: outputLoss.weights, dFinalStates: finalLosses.map { $0.map(\.gradient) }, cache: cache,
            parameters: parameters, gradients: &gradients)
        var failures = GradientCheck.mismatches(
            analytic: gradients, numeric: GradientCheck.numericGradient(of: { loss(input, $0) }, at: parameters),
            label: "parameters")
        if let failure = GradientCheck.mismatch(
            analytic: dInput, numeric: GradientCheck.numericGradient(of: { loss($0, parameters) }, at: input),
            label: "input")
        {
            failures.append(failure)
        }
        return failures
    }
}
