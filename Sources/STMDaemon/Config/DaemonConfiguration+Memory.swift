public import STMMemory

extension DaemonConfiguration {
    /// `[memory]`: each stream's short-term memory (on by default).
    public struct MemoryConfiguration: Sendable, Equatable {
        /// `enabled`: off, outputs have no `memory` section and nothing is stored.
        public var enabled: Bool
        /// `decay_time`, `window`, `max_age`, `related`, `near_duplicate`, `drift_threshold`, `topic_task`,
        /// `sentiment_task`.
        public var settings: MemorySettings
        /// `max_streams`: stream memories held in RAM; the least recently used beyond it wait in the database.
        public var maximumStreams: Int
        /// `context_head`: a context head bundle (`stmd train context`, e.g. `topic-news-context`) whose base model
        /// is the topic task's: the stream's answer read in its context goes into `memory.context`. nil (not set):
        /// the topic model's own head, `<model>-context`, where one is installed; `noContextHead`: none.
        public var contextHead: String?

        /// `context_head = "none"`: no context head, not even the topic model's own.
        public static let noContextHead = "none"

        public init(
            enabled: Bool = true, settings: MemorySettings = MemorySettings(), maximumStreams: Int = 256, contextHead: String? = nil
        ) {
            self.enabled = enabled
            self.settings = settings
            self.maximumStreams = maximumStreams
            self.contextHead = contextHead
        }
    }
}
