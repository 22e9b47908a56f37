/// What one `Ledger.prune` did, for the log.
public struct PruneReport: Sendable, Equatable {
    /// `done` and `failed` rows whose input was looked for.
    public var examined: Int
    /// Rows of those whose input was gone.
    public var missing: Int
    public var deleted: Int
    /// Published rows that still held output JSON.
    public var clearedOutputs: Int
    /// Streams whose memory was deleted: no ledger row left and unchanged since the retention cutoff.
    public var forgottenMemories: Int = 0
}
