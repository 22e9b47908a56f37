/// How a stream's memory behaves; the daemon fills it from `[memory]` in `stmd.toml`.
public struct MemorySettings: Sendable, Equatable {
    /// τ in seconds: the state decays as `exp(−Δt/τ)` over idle event time.
    public var decayTime: Double
    /// K: documents kept in the window.
    public var windowCapacity: Int
    /// Seconds: window entries older than this before the stream's latest event time are dropped.
    public var maximumAge: Double
    /// Related documents reported per document.
    public var relatedCount: Int
    /// A similarity at or above this marks a near-duplicate.
    public var nearDuplicateSimilarity: Float
    /// The CUSUM threshold h of both drift detectors.
    public var driftThreshold: Double
    /// Documents after a (re)start that only feed the drift detectors' estimates.
    public var driftWarmup: Int
    /// The task whose document vector is the window's `e`, whose labels feed the topic-mix detector and whose
    /// probabilities a context head refines.
    public var topicTask: String
    /// The task whose `positive`/`negative` probabilities give the sentiment.
    public var sentimentTask: String

    public init(
        decayTime: Double = 3600, windowCapacity: Int = 32, maximumAge: Double = 7 * 86_400, relatedCount: Int = 3,
        nearDuplicateSimilarity: Float = 0.98, driftThreshold: Double = 8, driftWarmup: Int = 20,
        topicTask: String = "topic", sentimentTask: String = "sentiment"
    ) {
        self.decayTime = decayTime
        self.windowCapacity = windowCapacity
        self.maximumAge = maximumAge
        self.relatedCount = relatedCount
        self.nearDuplicateSimilarity = nearDuplicateSimilarity
        self.driftThreshold = driftThreshold
        self.driftWarmup = driftWarmup
        self.topicTask = topicTask
        self.sentimentTask = sentimentTask
    }
}
