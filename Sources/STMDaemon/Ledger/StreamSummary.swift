public import Foundation

/// One stream's totals for `stmd status`.
public struct StreamSummary: Sendable, Equatable {
    public var root: String
    public var stream: String
    public var done: Int
    public var failed: Int
    public var retrying: Int
    /// Committed but not yet published: in flight now, or left by a crash until the next recovery.
    public var committed: Int
    /// Outputs published within the summary's recent window (for a documents-per-second figure).
    public var recentlyPublished: Int
    /// The newest error among documents failing now (`failed` or `retrying`); a document that later
    /// succeeded no longer counts.
    public var lastError: String?
    public var lastErrorAt: Date?
    public var lastPublishedAt: Date?
}
