public import STMMemory

/// What one document changes in its stream's durable memory, stored by `Ledger.commit` in the same transaction as
/// the document's row: the stream's state after the document, the window entry it became (when the window kept
/// it) and which older rows leave the window. So memory counts a document exactly when its output is committed.
public struct MemoryUpdate: Sendable, Equatable {
    public var stream: String
    /// The stream's reset generation the update was computed in; a reset since (`stmd memory reset`) makes the
    /// commit skip it rather than write pre-reset memory into the fresh stream.
    public var epoch: Int
    public var state: StreamState
    public var sentimentDetector: ChangeDetector
    public var topicDetector: ChangeDetector
    /// The new entry, when the window kept it.
    public var entry: MemoryEntry?
    /// Window rows with a smaller sequence leave the window (count limit)…
    public var firstKeptSequence: Int
    /// …and so do rows whose event time is older than this (age limit).
    public var oldestKeptTime: Double

    public init(stream: String, epoch: Int, memory: StreamMemory, entry: MemoryEntry) {
        self.stream = stream
        self.epoch = epoch
        state = memory.state
        sentimentDetector = memory.sentimentDetector
        topicDetector = memory.topicDetector
        self.entry = memory.window.entries.last == entry ? entry : nil
        firstKeptSequence = memory.window.entries.first?.sequence ?? Int.max
        oldestKeptTime = memory.window.oldestAllowedTime(latestTime: memory.state.latestTime ?? entry.time)
    }
}

/// A stream's memory as the database holds it.
public struct StoredStreamMemory: Sendable {
    public var epoch: Int
    public var state: StreamState
    /// The detectors' running values (`ChangeDetector.runningValues`); nil right after a reset (fresh detectors).
    public var detectorValues: (sentiment: [Double], topic: [Double])?
    public var entries: [MemoryEntry]
    /// Wall-clock time of the last change (for `stmd memory show`).
    public var updatedAt: Double

    /// The memory value these parts make with `settings` (detector thresholds follow the current settings).
    public func memory(settings: MemorySettings) -> StreamMemory {
        var memory = StreamMemory(settings: settings, state: state, entries: entries)
        if let detectorValues {
            memory.sentimentDetector.restore(runningValues: detectorValues.sentiment)
            memory.topicDetector.restore(runningValues: detectorValues.topic)
        }
        return memory
    }
}
