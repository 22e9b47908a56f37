public import Foundation

/// How long `Ledger.prune` keeps rows.
///
/// The rule: a row is deleted only when it is `done` or `failed` **and its input no longer exists** (`lstat`
/// finds nothing at its location), and then either when it has not changed for `maximumAge`, or when its
/// stream holds more than `maximumMissingPerStream` such rows (the oldest go first). `committed` and
/// `retrying` rows are never deleted, nor is the row of any input still present: that row is what stops a
/// restart's catch-up scan from processing the document again. The ledger therefore grows with the number of
/// files in the inboxes, not with history. Stored output JSON is dropped when the output is published, and
/// `prune` clears any that a `done` or `failed` row still holds.
public struct RetentionPolicy: Sendable, Hashable {
    public var maximumAge: TimeInterval
    public var maximumMissingPerStream: Int

    public init(maximumAge: TimeInterval = 30 * 24 * 3600, maximumMissingPerStream: Int = 10_000) {
        self.maximumAge = maximumAge
        self.maximumMissingPerStream = maximumMissingPerStream
    }

    /// Thirty days, ten thousand rows of vanished inputs per stream (the `[retention]` defaults).
    public static let `default` = RetentionPolicy()
}
