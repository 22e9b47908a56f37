import Glibc

/// The daemon's log lines: `<level>: <message>` on stderr, one write per line so lines from several threads
/// never interleave. Under systemd, stderr goes to the journal with the priority prefix understood
/// (`SyslogLevelPrefix=`); the structured journald entries come with the systemd integration.
public struct DaemonLog: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        var name: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    public var threshold: Level
    /// Whether stderr is a journal stream (systemd sets `$JOURNAL_STREAM`): then each line carries the syslog
    /// priority prefix `<N>`, which journald strips and records as the entry's priority.
    public var prefixesPriority: Bool

    public init(threshold: Level = .info, prefixesPriority: Bool? = nil) {
        self.threshold = threshold
        self.prefixesPriority = prefixesPriority ?? (getenv("JOURNAL_STREAM") != nil)
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard level <= threshold else { return }
        let prefix = prefixesPriority ? "<\(level.rawValue)>" : ""
        let line = Array("\(prefix)\(level.name): \(message())\n".utf8)
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func notice(_ message: @autoclosure () -> String) { log(.notice, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
}
