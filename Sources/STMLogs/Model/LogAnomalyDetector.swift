import STMModels
import STMTensor

#if canImport(Glibc)
    import Glibc
#endif

/// One stream's anomaly detector (DeepLog): before each line it has scored every template for "what comes
/// next"; the line is anomalous when its template is not among the top `g`, or has no class (new/unknown).
///
/// History: DeepLog predicts from the last h keys. Re-reading h keys per line would cost h LSTM steps; instead
/// two LSTM states run staggered, each reset every h lines, half a window apart, and the older one predicts:
/// it has read between h/2 and h keys — the histories the model was trained on — for two steps per line.
///
/// Learning: the first `learningLines` lines are normal by definition; new templates get classes and the model
/// trains on the recent history every `updateInterval` lines. `markNormal` retrains on an operator's false
/// positive. The detector is a value: the caller owns it (one per stream) and checkpoints `parameters`/`vocabulary`.
public struct LogAnomalyDetector: Sendable {
    public let settings: LogDetectorSettings
    public let model: NextKeyModel
    public internal(set) var parameters: NextKeyModel.Parameters
    public internal(set) var vocabulary: TemplateVocabulary
    /// Lines observed since the detector was created (the learning period counts these).
    public internal(set) var linesSeen: Int = 0

    var predictor: NextKeyPredictor
    var lanes: [NextKeyPredictor.Lane]
    /// Per lane, the age at which it is next reset (the second lane's first cycle is half a window).
    var resetAges: [Int]
    var scores: [Float]
    /// The last `window` template ids of the stream (ring), for the verdicts' context.
    var recent: [Int]
    var recentCount = 0
    /// Recent inputs for online training; `model.startInput` marks a stream start.
    var history: [Int] = []
    private var optimizer: AdamOptimizer<NextKeyModel.Parameters>?

    public init(
        model: NextKeyModel, parameters: NextKeyModel.Parameters, vocabulary: TemplateVocabulary,
        settings: LogDetectorSettings = LogDetectorSettings()
    ) {
        precondition(settings.validationError == nil, "LogAnomalyDetector: \(settings.validationError!)")
        precondition(
            vocabulary.capacity == model.classCount,
            "LogAnomalyDetector: vocabulary of \(vocabulary.capacity) for \(model.classCount) classes")
        self.settings = settings
        self.model = model
        self.parameters = parameters
        self.vocabulary = vocabulary
        predictor = NextKeyPredictor(model: model, parameters: parameters)
        lanes = [predictor.makeLane(), predictor.makeLane()]
        resetAges = [settings.window, max(settings.window / 2, 1)]
        learningLimit = settings.learningLines
        scores = Array(repeating: 0, count: model.classCount)
        recent = Array(repeating: 0, count: settings.window)
        startStream()
    }

    /// A detector that knows nothing yet and learns the stream's first `settings.learningLines` lines.
    public init(
        classCapacity: Int = 256, embeddingSize: Int = 16, hiddenSize: Int = 64, settings: LogDetectorSettings,
        seed: UInt64 = 1
    ) {
        let model = NextKeyModel(classCount: classCapacity, embeddingSize: embeddingSize, hiddenSize: hiddenSize)
        var generator = SplitMix64(seed: seed)
        self.init(
            model: model, parameters: model.makeParameters(using: &generator),
            vocabulary: TemplateVocabulary(capacity: classCapacity),
            settings: settings)
    }

    /// Lines of the learning period; `finishLearning()` can end it early (e.g. after T minutes).
    public internal(set) var learningLimit: Int

    public var isLearning: Bool { linesSeen < learningLimit }

    /// Ends the learning period now, training on what was seen (a learning period measured in time rather
    /// than lines: the caller's clock decides).
    public mutating func finishLearning() {
        guard isLearning else { return }
        learningLimit = linesSeen
        trainOnHistory()
    }

    /// The template id of "the sequence ends here", for sequences with a defined end (DeepLog's HDFS block
    /// sessions): trained as the key after a session's last line, it lets the model flag truncated sessions.
    public static let endOfSequenceId = -1

    /// Judges the end of the current sequence, when the model learned sequence ends (nil otherwise), and
    /// starts a new sequence.
    public mutating func endStream() -> LogVerdict? {
        defer { startStream() }
        guard vocabulary.classIndex(of: Self.endOfSequenceId) != 0 else { return nil }
        return observe(Self.endOfSequenceId)
    }

    /// Starts a new sequence (a session, or the stream after a gap that breaks its context).
    public mutating func startStream() {
        for i in lanes.indices {
            lanes[i].reset()
            predictor.advance(&lanes[i], input: model.startInput)
        }
        resetAges = [settings.window, max(settings.window / 2, 1)]
        recentCount = 0
        predictor.scores(lanes[0], into: &scores)
        appendHistory(model.startInput)
    }

    /// Judges the line with template `templateId` against the prediction made before it, then reads it.
    public mutating func observe(_ templateId: Int) -> LogVerdict {
        var classIndex = vocabulary.classIndex(of: templateId)
        let verdict: LogVerdict
        if isLearning {
            if classIndex == 0 { classIndex = vocabulary.assign(templateId) ?? 0 }
            verdict = LogVerdict(
                templateId: templateId, reason: .learning, rank: nil, probability: nil, predicted: [], context: [])
        } else {
            let predicted = topPredictions()
            if classIndex == 0 {
                verdict = LogVerdict(
                    templateId: templateId, reason: .unknownTemplate, rank: nil, probability: 0, predicted: predicted,
                    context: context())
            } else {
                let (rank, probability) = rankAndProbability(of: classIndex)
                verdict =
                    rank <= settings.candidates && probability >= settings.minimumProbability
                    ? LogVerdict(
                        templateId: templateId, reason: .expected, rank: rank, probability: probability,
                        predicted: predicted, context: [])
                    : LogVerdict(
                        templateId: templateId, reason: .unexpected, rank: rank, probability: probability,
                        predicted: predicted,
                        context: context())
            }
        }
        linesSeen += 1
        read(classIndex, templateId: templateId)
        appendHistory(classIndex)
        if learningLimit > 0 && linesSeen <= learningLimit {
            if linesSeen % settings.updateInterval == 0 || linesSeen == learningLimit { trainOnHistory() }
        }
        return verdict
    }

    private mutating func read(_ classIndex: Int, templateId: Int) {
        for i in lanes.indices {
            if lanes[i].age >= resetAges[i] {
                lanes[i].reset()
                resetAges[i] = settings.window
            }
            predictor.advance(&lanes[i], input: classIndex)
        }
        predictor.scores(lanes[0].age >= lanes[1].age ? lanes[0] : lanes[1], into: &scores)
        recent[recentCount % settings.window] = templateId
        recentCount += 1
    }

    /// 1 + the number of known classes scored above `classIndex`, and its softmax probability among them.
    private func rankAndProbability(of classIndex: Int) -> (rank: Int, probability: Double) {
        let target = scores[classIndex]
        var rank = 1
        var maximum = -Float.infinity
        for j in 1..<vocabulary.assignedCount {
            if scores[j] > target { rank += 1 }
            maximum = max(maximum, scores[j])
        }
        var total: Float = 0
        for j in 1..<vocabulary.assignedCount { total += expf(scores[j] - maximum) }
        return (rank, Double(expf(target - maximum) / total))
    }

    /// The top `g` known templates, most likely first.
    private func topPredictions() -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(settings.candidates + 1)
        for j in 1..<vocabulary.assignedCount {
            let score = scores[j]
            if best.count == settings.candidates, let last = best.last, scores[last] >= score { continue }
            var position = best.count
            while position > 0 && scores[best[position - 1]] < score { position -= 1 }
            best.insert(j, at: position)
            if best.count > settings.candidates { best.removeLast() }
        }
        return best.map(vocabulary.templateId(ofClass:))
    }

    private func context() -> [Int] {
        let count = min(recentCount, settings.window)
        return (0..<count).map { recent[(recentCount - count + $0) % settings.window] }
    }

    private mutating func appendHistory(_ input: Int) {
        history.append(input)
        // Trimmed in halves, so the cost per line stays constant.
        if history.count >= 2 * settings.historyLimit { history.removeFirst(history.count - settings.historyLimit) }
    }

    /// The training windows of the recent history, one run per stream start.
    private func historyWindows() -> [NextKeyModel.Window] {
        var windows: [NextKeyModel.Window] = []
        var segment: [Int] = []
        func flush() {
            if !segment.isEmpty { windows += model.windows(of: segment, window: settings.window, fromStart: false) }
        }
        for input in history.suffix(settings.historyLimit) {
            if input == model.startInput {
                flush()
                segment = []
            }
            segment.append(input)
        }
        flush()
        return windows
    }

    private mutating func trainOnHistory() {
        let windows = historyWindows()
        guard !windows.isEmpty else { return }
        var generator = SplitMix64(seed: UInt64(linesSeen))
        for _ in 0..<settings.updateEpochs {
            var order = Array(windows.indices)
            order.shuffle(using: &generator)
            for start in stride(from: 0, to: order.count, by: 32) {
                update(on: order[start..<min(start + 32, order.count)].map { windows[$0] })
            }
        }
        predictor = NextKeyPredictor(model: model, parameters: parameters)
    }

    private mutating func update(on batch: [NextKeyModel.Window]) {
        if optimizer == nil { optimizer = AdamOptimizer(for: parameters, learningRate: settings.learningRate) }
        var (_, gradients) = model.lossAndGradients(batch, parameters: parameters)
        clipByGlobalNorm(&gradients, maxNorm: 5)
        optimizer!.update(&parameters, gradients: gradients)
    }

    /// An operator says `verdict`'s line was normal: its template gets a class if it had none, and the model
    /// trains on that line in its context (mixed with recent normal windows so the rest is not forgotten).
    /// Trains until the line is expected in that context, for at most `settings.feedbackSteps` steps.
    /// - Returns: whether the line is now expected in that context.
    @discardableResult
    public mutating func markNormal(_ verdict: LogVerdict) -> Bool {
        guard verdict.isAnomalous, let target = vocabulary.assign(verdict.templateId) else { return false }
        let inputs = verdict.context.isEmpty ? [model.startInput] : verdict.context.map(vocabulary.classIndex(of:))
        let targets = Array(inputs.dropFirst()) + [target]
        let window = NextKeyModel.Window(inputs: inputs, targets: targets)
        let replay = historyWindows()
        var generator = SplitMix64(seed: UInt64(linesSeen) ^ 0x5EED)
        var learned = false
        for step in 0..<settings.feedbackSteps where !learned {
            var batch = [window]
            if !replay.isEmpty { for _ in 0..<7 { batch.append(replay[Int(generator.next() % UInt64(replay.count))]) } }
            update(on: batch)
            if step % 5 == 4 || step == settings.feedbackSteps - 1 { learned = expects(target, after: inputs) }
        }
        predictor = NextKeyPredictor(model: model, parameters: parameters)
        return learned
    }

    /// Whether `target` is among the top `g` known classes after reading `inputs` from a zero state.
    private func expects(_ target: Int, after inputs: [Int]) -> Bool {
        let scores = model.scores(after: inputs, parameters: parameters)
        var rank = 1
        for j in 1..<vocabulary.assignedCount where scores[j] > scores[target] { rank += 1 }
        return rank <= settings.candidates
    }
}
