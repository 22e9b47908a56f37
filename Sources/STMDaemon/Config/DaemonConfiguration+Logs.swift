public import STMLogs

extension DaemonConfiguration {
    /// `[logs]`: how followed journal streams (`[[journal]]`) are judged.
    public struct LogMonitorConfiguration: Sendable, Equatable {
        /// `window` (h), `candidates` (g), `min_probability`, `learning_lines`: the per-stream DeepLog detector.
        /// Streams learn online: their first `learning_lines` lines are taken as normal and trained on.
        public var detector: LogDetectorSettings
        /// `alerts_per_minute`: anomaly alerts per stream per minute before the rest of the minute's are summed up
        /// in one summary alert.
        public var alertsPerMinute: Int
        /// `learning_time`: a stream's learning period also ends once its entries span this long (journal time,
        /// seconds), whichever of the two limits comes first; nil: lines only.
        public var learningTime: Double?
        /// `model`: a log model bundle (`stmd train logs`, a name or a folder) every new stream starts from — its
        /// templates and weights — instead of an untrained detector; the learning period still applies.
        public var model: String?

        public init(
            detector: LogDetectorSettings = LogDetectorSettings(learningLines: 2000, updateInterval: 250),
            alertsPerMinute: Int = 20, learningTime: Double? = nil, model: String? = nil
        ) {
            self.detector = detector
            self.alertsPerMinute = alertsPerMinute
            self.learningTime = learningTime
            self.model = model
        }
    }
}
