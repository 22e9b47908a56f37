extension DaemonConfiguration {
    /// One `[streams.<name>]` table: what a stream sets for itself. A nil value means "the global one".
    public struct StreamOverride: Sendable, Equatable {
        /// `enabled`: false makes the daemon leave the stream folder alone.
        public var enabled: Bool
        /// `tasks`: replaces the `[defaults]` tasks entirely (as `stmd annotate --task` does), so a stream can
        /// also drop one.
        public var tasks: [String: TaskSpec]?
        /// `settle_delay`
        public var settleDelay: Duration?
        /// `maximum_wait`
        public var maximumWait: Duration?
        /// `max_file_size`
        public var maximumFileSize: Int?
        /// `ignore`: patterns added to the built-in and global ones (never replacing them).
        public var ignore: [String]
        /// `kind`: `"documents"` (the default) or `"lines"`, a stream of log files judged line by line.
        public var kind: StreamKind

        public init(
            enabled: Bool = true, tasks: [String: TaskSpec]? = nil, settleDelay: Duration? = nil,
            maximumWait: Duration? = nil, maximumFileSize: Int? = nil, ignore: [String] = [], kind: StreamKind = .documents
        ) {
            self.enabled = enabled
            self.tasks = tasks
            self.settleDelay = settleDelay
            self.maximumWait = maximumWait
            self.maximumFileSize = maximumFileSize
            self.ignore = ignore
            self.kind = kind
        }
    }
}

/// What a stream's files are: documents for the text tasks, or log files whose every line is judged by the log
/// anomaly detector (the same one journal streams use; `[logs]` settings).
public enum StreamKind: String, Sendable, Equatable {
    case documents, lines
}
