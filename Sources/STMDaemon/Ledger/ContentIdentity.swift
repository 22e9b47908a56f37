public import Foundation

/// What a document's bytes were when it was processed. The hash is the identity; size and modification time
/// are hints (`tar -x` sets the time after closing, so equal hints do not prove equal content).
public struct ContentIdentity: Sendable, Hashable {
    /// SHA-256 of the file's bytes, 64 lowercase hex digits (as `Annotation.Input.sha256`).
    public var sha256: String
    public var size: Int64
    public var modificationTime: Date?

    public init(sha256: String, size: Int64, modificationTime: Date? = nil) {
        self.sha256 = sha256
        self.size = size
        self.modificationTime = modificationTime
    }
}
