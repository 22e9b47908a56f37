/// A temporary file written but not yet fsynced (`OutputWriter.write`), still open: `OutputWriter.sync` makes it
/// a durable `prepared` output and closes the descriptor. Always pass it to `sync` exactly once.
public struct WrittenOutput: Sendable {
    public let prepared: PreparedOutput
    let descriptor: Int32
}
