/// Why a configuration was refused. Every case names the file and the full dotted key, so the message alone is
/// enough to find and fix the problem.
///
/// Only syntax errors carry a line and column: TOMLKit 0.6 reports positions for parse errors
/// (`TOMLParseError.source`) but exposes no source position for parsed keys or values, so semantic errors name the
/// key instead of inventing a line.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--config` named a file that does not exist (an explicit path never falls back to the defaults).
    case fileNotFound(path: String)
    /// The file exists but cannot be read, is not a regular file, or is not UTF-8.
    case unreadable(path: String, reason: String)
    /// TOMLKit rejected the text; `line` and `column` are its 1-based position of the error.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// A key stmd does not know; `suggestion` is the closest known dotted key, when one is close.
    case unknownKey(file: String, key: String, suggestion: String?)
    /// A key holds the wrong TOML type; `found` is the type and the value as written, e.g. `integer 30`.
    case wrongType(file: String, key: String, expected: String, found: String)
    /// A value of the right type that is still unusable (negative duration, unknown mode, unparsable size…).
    case invalidValue(file: String, key: String, value: String, reason: String)
    /// A table name that cannot be used, such as a stream name with a `/` or a task name journald cannot carry.
    case invalidName(file: String, key: String, reason: String)
    /// A key another setting requires, e.g. `output_root` when `output = "root"`.
    case missingKey(file: String, key: String, requiredBy: String)
    /// A directory stmd writes to lies inside an inbox root, where it would be watched as a stream.
    case insideInbox(key: String, path: String, inboxRoot: String)
    /// More than one problem: all of them are reported at once, so one edit fixes the file.
    case several([ConfigurationError])

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): configuration file not found"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the configuration: \(reason)"
        case .syntax(let file, let line, let column, let message):
            return "\(file):\(line):\(column): TOML syntax error: \(message)"
        case .unknownKey(let file, let key, let suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "\(file): unknown key '\(key)'\(hint)"
        case .wrongType(let file, let key, let expected, let found):
            return "\(file): '\(key)' must be \(expected), not \(found)"
        case .invalidValue(let file, let key, let value, let reason):
            return "\(file): \(key) = \(value): \(reason)"
        case .invalidName(let file, let key, let reason):
            return "\(file): '\(key)': \(reason)"
        case .missingKey(let file, let key, let requiredBy):
            return "\(file): '\(key)' is missing; \(requiredBy) needs it"
        case .insideInbox(let key, let path, let inboxRoot):
            return "\(key) '\(path)' is inside the inbox root '\(inboxRoot)'; it must be outside every inbox root"
        case .several(let errors):
            return errors.map(\.description).joined(separator: "\n")
        }
    }

    /// The individual problems: the cases of `.several`, or this error alone.
    public var problems: [ConfigurationError] {
        if case .several(let errors) = self { return errors }
        return [self]
    }
}
