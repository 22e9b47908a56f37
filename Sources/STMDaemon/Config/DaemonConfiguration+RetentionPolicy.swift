extension DaemonConfiguration {
    /// `[retention]`: which ledger rows are pruned, so the database does not grow without limit. Only rows of
    /// finished documents (`done` or `failed`) whose input file is gone are pruned — a row whose input is still
    /// there is the reason it is not processed again — once older than `days`, or beyond `maxRowsPerStream` such
    /// rows per stream (oldest first).
    public struct RetentionPolicy: Sendable, Equatable {
        /// `days`: rows of vanished inputs older than this many days are pruned.
        public var days: Int
        /// `max_rows_per_stream`: at most this many rows of vanished inputs are kept per stream, the newest.
        public var maxRowsPerStream: Int

        public init(days: Int = 30, maxRowsPerStream: Int = 10_000) {
            self.days = days
            self.maxRowsPerStream = maxRowsPerStream
        }
    }
}
