/// One document's prepared output with what the ledger stores beside it, ready for `Ledger.commit`.
public struct CommittedOutput: Sendable, Equatable {
    /// The fsynced temporary file and the JSON in it.
    public var prepared: PreparedOutput
    public var content: ContentIdentity
    /// Model name → version, as in the annotation's `models` object.
    public var modelVersions: [String: String]
    /// The reason, for an error output (`prepared.kind == .error`); it becomes the row's `lastError`.
    public var error: String?
    /// The document's change to its stream's memory, stored in the same transaction (nil: memory off, or an
    /// error output).
    public var memory: MemoryUpdate?

    public init(
        prepared: PreparedOutput, content: ContentIdentity, modelVersions: [String: String] = [:],
        error: String? = nil, memory: MemoryUpdate? = nil
    ) {
        self.memory = memory
        self.prepared = prepared
        self.content = content
        self.modelVersions = modelVersions
        self.error = error
    }
}
