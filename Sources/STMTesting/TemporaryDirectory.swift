public import Foundation

/// A fresh directory under the system's temporary folder, removed with everything in it on deinit.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "stmd-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let candidate = "\(base)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: candidate, withIntermediateDirectories: false)
        path = candidate
    }

    deinit {
        // Best-effort cleanup: a leftover temporary folder must not fail a test that passed.
        try? FileManager.default.removeItem(atPath: path)
    }
}
