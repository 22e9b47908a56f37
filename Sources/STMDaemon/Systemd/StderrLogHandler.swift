import Glibc
public import Logging

/// Log lines on stderr, `level: message`, one `write` per line so lines from several threads never interleave.
/// The daemon's messages already say in words what their metadata say as fields, so metadata (meant for journal
/// queries) are not repeated here. When stderr is a journal stream, each line carries the syslog priority
/// prefix `<N>`, which journald strips and records as the entry's priority.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let prefixesPriority: Bool

    public init(logLevel: Logger.Level = .info, prefixesPriority: Bool) {
        self.logLevel = logLevel
        self.prefixesPriority = prefixesPriority
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let prefix = prefixesPriority ? "<\(JournalFields.priority(event.level))>" : ""
        let line = Array("\(prefix)\(Self.name(event.level)): \(event.message)\n".utf8)
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}
