public import Logging

/// Turns a log event into journal fields (systemd.journal-fields(7)): `MESSAGE`, `PRIORITY`, `CODE_*`,
/// `SYSLOG_IDENTIFIER`, and each metadata entry as a field of its own, so that
/// `journalctl STM_STREAM=news STM_SENTIMENT=negative` selects entries.
///
/// Metadata keys become upper case with `[A-Z0-9_]` only and the `STM_` prefix (`stream` → `STM_STREAM`), except
/// `MESSAGE_ID`, which journald and the catalog know by that name. Journal field names must not start with `_`
/// (those are trusted fields journald sets itself) and are at most 64 characters.
public enum JournalFields {
    public static let identifier = "stmd"

    public static func fields(for event: LogEvent, metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(priority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append((fieldName(key), text(value)))
        }
        return fields
    }

    /// syslog(3) priorities: the journal's `PRIORITY` and the `<N>` prefix of a stderr line.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public static func fieldName(_ key: String) -> String {
        var name = String(String.UnicodeScalarView(key.uppercased().unicodeScalars.map { scalar in
            (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9") || scalar == "_" ? scalar : "_"
        }))
        if name == "MESSAGE_ID" { return name }
        while name.hasPrefix("_") { name.removeFirst() }
        if !name.hasPrefix("STM_") { name = "STM_" + name }
        return String(name.prefix(64))
    }

    static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map { text($0) }.joined(separator: ",")
        case .dictionary(let dictionary): dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))" }.joined(separator: ",")
        }
    }
}
