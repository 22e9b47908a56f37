public import Foundation

/// One row of the ledger: the latest state of the document at one location.
///
/// A location has one row; when its content changes the row is reused (`generation` grows) and `sha256`
/// names the content it now describes.
public struct LedgerRecord: Sendable, Equatable {
    /// Where a document is in the output protocol (see `Ledger`). The raw values are stored.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Output written to its temporary file and stored here; not yet renamed to its final name.
        case committed
        /// Annotation published.
        case done
        /// Failed for good: an error output was published, or no output could be written. `stmd retry` requeues.
        case failed
        /// Failed for a reason that may clear; processed again at `nextAttempt`.
        case retrying
    }

    public var id: Int64
    public var generation: Int64
    public var location: DocumentLocation
    /// Nil when the content could not be read (a failure before hashing).
    public var content: ContentIdentity?
    public var status: Status
    /// The kind of the output at `outputPath` (or being published there).
    public var outputKind: OutputKind?
    public var outputPath: [UInt8]?
    /// The temporary file of a `committed` row; nil otherwise.
    public var temporaryPath: [UInt8]?
    /// The output's bytes, kept only while `committed` (dropped once the rename is durable).
    public var outputJSON: [UInt8]?
    public var modelVersions: [String: String]
    /// Processing attempts of the current content (reset by a content change or `requeue`).
    public var attempts: Int
    public var lastError: String?
    public var nextAttempt: Date?
    /// When the location was first recorded.
    public var createdAt: Date
    public var updatedAt: Date
    /// When an output of this location was last published.
    public var processedAt: Date?

    /// The token `markPublished` needs for this row's current commit.
    public var token: CommitToken { CommitToken(id: id, generation: generation) }
}
