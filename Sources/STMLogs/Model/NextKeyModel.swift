public import STMModels
public import STMTensor

/// DeepLog's next-key model (Du et al., CCS 2017): template classes → embedding → LSTM → linear → a score per
/// class for the next line's template. Class 0 is the closed vocabulary's "unknown"; input row `classCount`
/// is the start-of-stream marker, so the first line of a stream is predicted too.
///
/// Training reads windows of at most `window` consecutive keys from a zero state and predicts the key after
/// every position (DeepLog's "last h keys"); serving (`NextKeyPredictor`) advances one step per line instead
/// of re-reading the window. Weight keys: `embedding.weight`, `lstm.{wx,wh,bx,bh}`, `head.{weight,bias}`.
public struct NextKeyModel: Sendable {
    public let classCount: Int
    public let embedding: Embedding
    public let cell: LSTMCell
    public let head: Linear

    public init(classCount: Int, embeddingSize: Int, hiddenSize: Int) {
        precondition(classCount >= 2, "NextKeyModel: \(classCount) classes")
        self.classCount = classCount
        embedding = Embedding(vocabularySize: classCount + 1, dimension: embeddingSize)
        cell = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize)
        head = Linear(inputSize: hiddenSize, outputSize: classCount)
    }

    public var startInput: Int { classCount }

    public struct Parameters: ParameterGroup {
        public var embedding: Embedding.Parameters
        public var lstm: GatedCellParameters
        public var head: Linear.Parameters

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try embedding.visitTensors(prefix: prefix + "embedding.", body)
            try lstm.visitTensors(prefix: prefix + "lstm.", body)
            try head.visitTensors(prefix: prefix + "head.", body)
        }
    }

    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var embeddingParameters = embedding.makeParameters(using: &generator)
        // Small token vectors: with standard-normal rows the gates saturate from the first step.
        embeddingParameters.weight.scale(by: 0.3)
        return Parameters(
            embedding: embeddingParameters, lstm: cell.makeParameters(using: &generator),
            head: head.makeParameters(using: &generator))
    }

    /// One training window: the inputs (a class or `startInput` each) and the class that follows each.
    public struct Window: Sendable, Equatable {
        public var inputs: [Int]
        public var targets: [Int]

        public init(inputs: [Int], targets: [Int]) {
            precondition(
                inputs.count == targets.count && !inputs.isEmpty,
                "NextKeyModel.Window: \(inputs.count) inputs, \(targets.count) targets")
            self.inputs = inputs
            self.targets = targets
        }
    }

    /// The windows of one stream of classes: `[start] + classes` cut into pieces of `window` inputs every
    /// `window / 2` positions, so each key is learned with between half a window and a full window before it —
    /// the history the predictor's staggered states hold when serving.
    public func windows(of classes: [Int], window: Int, fromStart: Bool = true) -> [Window] {
        let sequence = (fromStart ? [startInput] : []) + classes
        guard sequence.count >= 2 else { return [] }
        let stride = max(window / 2, 1)
        var out: [Window] = []
        var start = 0
        while start < sequence.count - 1 {
            let end = min(start + window, sequence.count - 1)
            out.append(Window(inputs: Array(sequence[start..<end]), targets: Array(sequence[(start + 1)...end])))
            if end == sequence.count - 1 { break }
            start += stride
        }
        return out
    }

    /// Mean cross-entropy over every real position of a batch of windows, and its gradients.
    public func lossAndGradients(_ batch: [Window], parameters: Parameters) -> (loss: Float, gradients: Parameters) {
        let count = batch.count
        let lengths = batch.map(\.inputs.count)
        let steps = lengths.max() ?? 0
        var ids = [Int](repeating: 0, count: steps * count)
        var labels = [Int](repeating: 0, count: steps * count)
        var weights = [Float](repeating: 0, count: steps * count)
        for (b, window) in batch.enumerated() {
            for t in window.inputs.indices {
                ids[t * count + b] = window.inputs[t]
                labels[t * count + b] = window.targets[t]
                weights[t * count + b] = 1
            }
        }
        let embedded = embedding.forward(ids, parameters: parameters.embedding).reshaped([
            steps, count, embedding.dimension,
        ])
        let recurrent = Recurrent(cell: cell)
        let full = lengths.allSatisfy { $0 == steps }
        let (outputs, _, cache) = recurrent.forward(
            embedded, lengths: full ? nil : lengths, parameters: parameters.lstm)
        let flat = outputs.reshaped([steps * count, cell.hiddenSize])
        let logits = head.forward(flat, parameters: parameters.head)
        let (loss, dLogits) = softmaxCrossEntropy(logits: logits, labels: labels, weights: weights)
        var gradients = parameters.zeros()
        let dFlat = head.backward(
            dOutput: dLogits, input: flat, parameters: parameters.head, gradients: &gradients.head)
        let (dEmbedded, _) = recurrent.backward(
            dOutputs: dFlat.reshaped([steps, count, cell.hiddenSize]), cache: cache, parameters: parameters.lstm,
            gradients: &gradients.lstm)
        embedding.backward(
            dOutput: dEmbedded.reshaped([steps * count, embedding.dimension]), ids: ids, gradients: &gradients.embedding
        )
        return (loss, gradients)
    }

    /// The scores `[classCount]` after reading `inputs` from a zero state (the reference the predictor matches).
    public func scores(after inputs: [Int], parameters: Parameters) -> [Float] {
        let embedded = embedding.forward(inputs, parameters: parameters.embedding).reshaped([
            inputs.count, 1, embedding.dimension,
        ])
        let (_, final, _) = Recurrent(cell: cell).forward(embedded, parameters: parameters.lstm)
        return head.forward(final.h, parameters: parameters.head).scalars
    }
}
