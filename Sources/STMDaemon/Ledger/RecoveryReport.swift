/// What `Recovery.run` did, for the start-up log line.
public struct RecoveryReport: Sendable, Equatable {
    /// `committed` rows found (the crash interrupted their protocol after step 2).
    public var committed = 0
    /// Of those: the temporary file was still there and was renamed.
    public var renamed = 0
    /// The output was written again from the JSON the ledger stored (temporary file gone, final missing or
    /// different).
    public var rewritten = 0
    /// The final output already held the stored bytes; only the row was marked.
    public var alreadyPublished = 0
    /// The input and its folder are gone, so no output was written; the row is now `failed`.
    public var abandoned = 0
    /// Rows left `committed` (retried at the next start), with the reason.
    public var failures: [String] = []
    /// Orphaned temporary files deleted from the stream folders (and the output root).
    public var orphansDeleted = 0
    /// Folders or files the sweep could not handle.
    public var sweepProblems: [String] = []

    public init() {}
}
