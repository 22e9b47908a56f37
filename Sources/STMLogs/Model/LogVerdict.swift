/// What the detector says about one line.
public struct LogVerdict: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The template was among the top `g` predictions.
        case expected
        /// Still in the learning period: treated as normal and learned from.
        case learning
        /// A known template the model did not expect here.
        case unexpected
        /// A template outside the model's vocabulary (new, or too rare to have a class).
        case unknownTemplate
    }

    public let templateId: Int
    public let reason: Reason
    /// Where the template ranked among the model's predictions (1 = most likely); nil when unknown or learning.
    public let rank: Int?
    /// The probability the model gave the template among the known ones; 0 when unknown, nil when learning.
    public let probability: Double?
    /// The templates the model expected instead, most likely first (the top `g`); empty in the learning period.
    public let predicted: [Int]
    /// The template ids of the lines before this one (at most the window), oldest first, kept for anomalies
    /// only: `LogAnomalyDetector.markNormal` retrains on them.
    public let context: [Int]

    public var isAnomalous: Bool { reason == .unexpected || reason == .unknownTemplate }

    public init(templateId: Int, reason: Reason, rank: Int?, probability: Double?, predicted: [Int], context: [Int]) {
        self.templateId = templateId
        self.reason = reason
        self.rank = rank
        self.probability = probability
        self.predicted = predicted
        self.context = context
    }
}
