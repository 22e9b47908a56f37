import Foundation
public import STMMemory
import STMTasks

/// The pipeline's memory step: turns, the RAM cache and the one call that applies a document to its stream.
public final class StreamMemoryEngine: @unchecked Sendable {
    let settings: MemorySettings
    let cache: StreamMemoryCache
    let sequencer = StreamSequencer()
    /// The stream context head and the labels of its probabilities; nil until one is configured.
    private let contextHead: (model: any StreamContextModel, labels: [String])?
    /// A context head is one object with scratch state; streams on different workers take turns with it.
    private let contextLock = NSLock()
    /// For documents without a scheduler number (tests, retries through `process(_:)`): one at a time.
    private let unnumberedLock = NSLock()

    public init(
        ledger: Ledger, configuration: DaemonConfiguration.MemoryConfiguration,
        contextHead: (model: any StreamContextModel, labels: [String])? = nil
    ) {
        settings = configuration.settings
        cache = StreamMemoryCache(ledger: ledger, settings: configuration.settings, capacity: configuration.maximumStreams)
        self.contextHead = contextHead
    }

    /// Runs `body` in the document's turn of its stream, and passes the turn afterwards.
    func inTurn<T>(_ item: WorkItem, _ body: () -> T) -> T {
        guard let ticket = item.streamTicket else { return unnumberedLock.withLock(body) }
        sequencer.waitForTurn(stream: item.location.stream, ticket: ticket)
        defer { sequencer.pass(stream: item.location.stream, ticket: ticket) }
        return body()
    }

    /// A document that will not reach the memory step gives up its turn.
    func skipTurn(_ item: WorkItem) {
        if let ticket = item.streamTicket { sequencer.pass(stream: item.location.stream, ticket: ticket) }
    }

    /// Before a batch's memory steps: notices `stmd memory reset` and prunes made since the last batch.
    func noticeResets() throws { try cache.noticeResets() }

    /// What the memory reads from an annotated document.
    func memoryDocument(annotation: Annotation, name: String, time: Double, vector: [Float]?) -> MemoryDocument {
        MemoryDocument(annotation: annotation, name: name, time: time, vector: vector, settings: settings)
    }

    /// Applies the document to a copy of its stream's memory (the cache is not changed: the caller publishes the
    /// output, then checks the new value in, or leaves the previous one when publishing failed).
    ///
    /// - Returns: the step, the memory before and after it, the update to store and the stream's epoch.
    func step(stream: String, document: MemoryDocument) throws -> (
        step: StreamMemory.Step, previous: StreamMemory, memory: StreamMemory, update: MemoryUpdate, epoch: Int
    ) {
        let (previous, epoch) = try cache.checkout(stream: stream)
        var memory = previous
        let step: StreamMemory.Step
        if let contextHead {
            step = contextLock.withLock { memory.apply(document, contextHead: contextHead) }
        } else {
            step = memory.apply(document)
        }
        return (step, previous, memory, MemoryUpdate(stream: stream, epoch: epoch, memory: memory, entry: step.entry), epoch)
    }
}
