/// An output written to its hidden temporary file and fsynced, not yet visible under its final name.
///
/// Returned by `OutputWriter.prepare`; the daemon commits it to the ledger (`CommittedOutput`) and then
/// publishes it. It holds paths, not descriptors, so it can wait in a commit batch at no cost.
public struct PreparedOutput: Sendable, Equatable {
    public let location: DocumentLocation
    public let kind: OutputKind
    /// The bytes written, which the ledger stores until the output is published.
    public let json: [UInt8]
    /// The temporary file's name in `folderPath`.
    public let temporaryName: [UInt8]
    let target: OutputTarget

    init(location: DocumentLocation, kind: OutputKind, json: [UInt8], temporaryName: [UInt8], target: OutputTarget) {
        self.location = location
        self.kind = kind
        self.json = json
        self.temporaryName = temporaryName
        self.target = target
    }

    /// The folder holding both the temporary file and the final output.
    public var folderPath: [UInt8] { target.directory }
    /// The final output's path: `<folder>/<input name>.stm.json` (or `.stm.error.json`).
    public var outputPath: [UInt8] { target.outputPath }
    /// The temporary file's path.
    public var temporaryPath: [UInt8] { PathBytes.join([target.directory, temporaryName]) }
}
