extension DaemonConfiguration {
    /// `[retry]`: how transient failures (ENOSPC, EAGAIN, an EACCES that later clears) are retried. The delay
    /// starts at `initialBackoff` and doubles after each attempt up to `maximumBackoff`; after `maxAttempts`
    /// attempts in all the document is failed for good (until `stmd retry`).
    public struct RetryPolicy: Sendable, Equatable {
        /// `max_attempts`: attempts in all, the first included (1 means no retry).
        public var maxAttempts: Int
        /// `initial_backoff`: the delay before the second attempt.
        public var initialBackoff: Duration
        /// `maximum_backoff`: the cap on the doubling delay.
        public var maximumBackoff: Duration

        public init(
            maxAttempts: Int = 5, initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(300)
        ) {
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }

        /// The delay before attempt `attempt + 1`, after `attempt` failed ones (1-based).
        public func backoff(afterAttempt attempt: Int) -> Duration {
            var delay = initialBackoff
            for _ in 1..<max(1, attempt) {
                if delay >= maximumBackoff { break }
                delay = delay * 2
            }
            return min(delay, maximumBackoff)
        }
    }
}
