/// Names one commit of one ledger row, so `markPublished` marks exactly the output it was given.
///
/// The row of a path is reused when its document changes; its `generation` grows with every change. A late
/// `markPublished` for an older commit of the same path then matches nothing, instead of marking the newer,
/// still unpublished output as done.
public struct CommitToken: Sendable, Hashable {
    public let id: Int64
    public let generation: Int64

    public init(id: Int64, generation: Int64) {
        self.id = id
        self.generation = generation
    }
}
