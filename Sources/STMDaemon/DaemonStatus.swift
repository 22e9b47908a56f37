import Foundation

/// What the running daemon publishes in `<state>/status.json` when one of its figures changes (it looks once a
/// second): the live figures the ledger does not hold (queues, documents in progress, counts since start).
/// `stmd status` joins it with the ledger; whether the daemon still runs it learns from the state lock.
public struct DaemonStatus: Codable, Sendable, Equatable {
    public var pid: Int32
    public var version: String
    public var startedTime: Double
    public var updatedTime: Double
    public var queued: [String: Int]
    public var inProgress: Int
    public var published: Int
    public var failed: Int
    public var stopping: Bool

    public static let fileName = "status.json"

    enum CodingKeys: String, CodingKey {
        case pid, version, queued, published, failed, stopping
        case startedTime = "started_time"
        case updatedTime = "updated_time"
        case inProgress = "in_progress"
    }

    /// Replaces the file atomically (temporary file + rename) so a reader never sees half of it.
    public func write(toStateDirectory directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory + "/" + Self.fileName), options: .atomic)
    }

    public static func read(fromStateDirectory directory: String) -> DaemonStatus? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(DaemonStatus.self, from: data)
    }
}
