import Glibc

/// What one stream runs with, resolved from the global settings and its `[streams.<name>]` table by
/// `DaemonConfiguration.settings(forStream:)`: the watcher and pipeline read these and never the raw overrides.
public struct StreamSettings: Sendable, Equatable {
    /// The stream's folder name.
    public var name: String
    /// False when the configuration says to leave the folder alone.
    public var enabled: Bool
    /// Task name → model name.
    public var tasks: [String: TaskSpec]
    public var settleDelay: Duration
    public var maximumWait: Duration
    /// In bytes.
    public var maximumFileSize: Int
    /// Documents queued for this stream before it falls back to a rescan.
    public var queueCapacity: Int
    /// Built-in, then global, then the stream's own patterns.
    public var ignorePatterns: [String]
    /// Documents, or log files judged line by line.
    public var kind: StreamKind

    public init(
        name: String, enabled: Bool, tasks: [String: TaskSpec], settleDelay: Duration, maximumWait: Duration,
        maximumFileSize: Int, queueCapacity: Int, ignorePatterns: [String], kind: StreamKind = .documents
    ) {
        self.name = name
        self.enabled = enabled
        self.tasks = tasks
        self.settleDelay = settleDelay
        self.maximumWait = maximumWait
        self.maximumFileSize = maximumFileSize
        self.queueCapacity = queueCapacity
        self.ignorePatterns = ignorePatterns
        self.kind = kind
    }

    /// Whether a file name (the last path component, as raw bytes: names need not be UTF-8) matches an ignore
    /// pattern. Patterns are `fnmatch(3)` globs without flags, so `*` also matches a leading dot.
    public func ignores(name: [UInt8]) -> Bool {
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        return ignorePatterns.contains { pattern in fnmatch(pattern, cName, 0) == 0 }
    }

    public func ignores(name: String) -> Bool {
        ignores(name: Array(name.utf8))
    }
}
