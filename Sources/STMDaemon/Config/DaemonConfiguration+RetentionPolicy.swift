extension DaemonConfiguration {
    /// `[retention]`: which ledger rows are pruned, so the database does not grow without limit. A row goes when it
    /// is older than `days` or when its stream holds more than `maxRowsPerStream` newer rows, whichever comes first.
    public struct RetentionPolicy: Sendable, Equatable {
        /// `days`: rows older than this many days are pruned.
        public var days: Int
        /// `max_rows_per_stream`: at most this many rows are kept per stream, the newest.
        public var maxRowsPerStream: Int

        public init(days: Int = 30, maxRowsPerStream: Int = 10_000) {
            self.days = days
            self.maxRowsPerStream = maxRowsPerStream
        }
    }
}
