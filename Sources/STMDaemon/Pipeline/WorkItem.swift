public import STMWatcher

/// One document to process: where it is, and why it was queued.
public struct WorkItem: Sendable {
    public var location: DocumentLocation
    /// The input's path as raw bytes (`root/stream/relative path`), opened without following links.
    public var path: [UInt8]
    public var trigger: String
    /// Its number among the documents the scheduler handed out for its stream (`StreamScheduler.nextNumbered`):
    /// the order of the stream's memory steps. Nil outside the daemon's worker loop.
    public var streamTicket: UInt64?

    public init(location: DocumentLocation, path: [UInt8], trigger: String) {
        self.location = location
        self.path = path
        self.trigger = trigger
    }

    public init(candidate: FileCandidate) {
        self.init(
            location: DocumentLocation(root: candidate.root, stream: candidate.stream, relativePath: candidate.relativePath),
            path: candidate.path, trigger: candidate.trigger.rawValue)
    }

    /// The item with its stream number set.
    public func numbered(_ ticket: UInt64) -> WorkItem {
        var copy = self
        copy.streamTicket = ticket
        return copy
    }

    /// The scheduler's deduplication key: the same path is queued once at a time.
    public var key: String {
        location.root + "\u{0}" + location.stream + "\u{0}" + String(decoding: location.relativePath, as: UTF8.self)
            + "\u{0}" + location.relativePath.map { String($0, radix: 16) }.joined()
    }
}
