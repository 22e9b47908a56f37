public import Logging

/// The daemon's log: a swift-log `Logger` (journald's native protocol under systemd, stderr lines otherwise;
/// `stmd run` bootstraps the handler) with the short calls the daemon's code uses. Metadata become journal
/// fields (`stream` → `STM_STREAM`), and events an operator acts on carry a `MESSAGE_ID` from the catalog.
public struct DaemonLog: Sendable {
    public var logger: Logger
    /// The last warning or error, for the status line.
    public let lastProblem: LastProblem?
    /// The level of the one-entry-per-document log: `info` for the journal (it is the query interface), `debug`
    /// on a terminal unless asked for (`stmd run --verbose`), where a burst would drown everything else.
    public var documentLevel: Logger.Level

    public init(logger: Logger, documentLevel: Logger.Level = .info, lastProblem: LastProblem? = LastProblem()) {
        self.logger = logger
        self.documentLevel = documentLevel
        self.lastProblem = lastProblem
    }

    /// A log for code that runs without `stmd run`'s bootstrap (tests): stderr lines at `level`.
    public init(level: Logger.Level = .info) {
        var logger = Logger(label: "stmd") { _ in StderrLogHandler(logLevel: level, prefixesPriority: false) }
        logger.logLevel = level
        self.logger = logger
        documentLevel = .debug
        lastProblem = LastProblem()
    }

    public func log(
        _ level: Logger.Level, _ message: @autoclosure () -> String, metadata: @autoclosure () -> Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        if level >= .warning, let lastProblem {
            let text = message()
            lastProblem.record(text)
            logger.log(level: level, "\(text)", metadata: metadata(), file: file, function: function, line: line)
            return
        }
        logger.log(level: level, "\(message())", metadata: metadata(), file: file, function: function, line: line)
    }

    /// An event with its catalog entry.
    public func event(
        _ id: MessageID, _ level: Logger.Level, _ message: @autoclosure () -> String, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var fields = metadata
        fields["MESSAGE_ID"] = .string(id.rawValue)
        log(level, message(), metadata: fields, file: file, function: function, line: line)
    }

    public func error(_ message: @autoclosure () -> String, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.error, message(), file: file, function: function, line: line)
    }
    public func warning(_ message: @autoclosure () -> String, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.warning, message(), file: file, function: function, line: line)
    }
    public func notice(_ message: @autoclosure () -> String, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.notice, message(), file: file, function: function, line: line)
    }
    public func info(_ message: @autoclosure () -> String, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.info, message(), file: file, function: function, line: line)
    }
    public func debug(_ message: @autoclosure () -> String, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.debug, message(), file: file, function: function, line: line)
    }

    public var isDebugEnabled: Bool { logger.logLevel <= .debug }
}
