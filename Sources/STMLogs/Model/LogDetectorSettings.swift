/// The per-stream detector's knobs. `window` (h) and `candidates` (g) default to DeepLog's h = 10, g = 9.
public struct LogDetectorSettings: Codable, Sendable, Equatable {
    /// h: keys of history the model predicts from (it reads between h/2 and h of them, see `LogAnomalyDetector`).
    public var window: Int
    /// g: a line is expected when its template is among this many most likely predictions.
    public var candidates: Int
    /// A template ranked within `candidates` is still unexpected below this probability (0: DeepLog's pure
    /// top-g rule). With few templates, top g covers nearly all of them, even ones the model all but excludes,
    /// and their order down there is noise: on HDFS the pure rule's recall moved between 0.86 and 0.96 with the
    /// seed, at 0.001 it stayed at 0.97–1.00 (validation split, BENCHMARKS.md).
    public var minimumProbability: Double
    /// Lines at the start of a stream treated as normal and trained on online (0: a trained model, no learning).
    public var learningLines: Int
    /// During learning, train after every this many lines on the recent history.
    public var updateInterval: Int
    /// Passes over the recent history per online update.
    public var updateEpochs: Int
    /// Most recent keys kept for online training.
    public var historyLimit: Int
    /// Most Adam steps on an operator's false positive (each mixes in recent normal windows); training stops as
    /// soon as the line is expected.
    public var feedbackSteps: Int
    public var learningRate: Float

    public init(
        window: Int = 10, candidates: Int = 9, minimumProbability: Double = 0.001, learningLines: Int = 0,
        updateInterval: Int = 500, updateEpochs: Int = 2,
        historyLimit: Int = 4000, feedbackSteps: Int = 200, learningRate: Float = 3e-3
    ) {
        self.window = window
        self.candidates = candidates
        self.minimumProbability = minimumProbability
        self.learningLines = learningLines
        self.updateInterval = updateInterval
        self.updateEpochs = updateEpochs
        self.historyLimit = historyLimit
        self.feedbackSteps = feedbackSteps
        self.learningRate = learningRate
    }

    /// Why these settings cannot work, or nil.
    public var validationError: String? {
        if window < 1 { return "window \(window) below 1" }
        if candidates < 1 { return "candidates \(candidates) below 1" }
        if !(minimumProbability >= 0 && minimumProbability < 1) {
            return "minimum probability \(minimumProbability) outside [0, 1)"
        }
        if learningLines < 0 { return "learning lines \(learningLines) below 0" }
        if updateInterval < 1 { return "update interval \(updateInterval) below 1" }
        if historyLimit < window + 1 { return "history limit \(historyLimit) below the window" }
        if !(learningRate > 0) { return "learning rate \(learningRate) not positive" }
        return nil
    }
}
