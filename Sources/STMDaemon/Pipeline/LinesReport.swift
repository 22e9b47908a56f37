public import STMTasks

/// The output of a file in a `kind = "lines"` stream, `<name>.stm.json` with `"schema": "stmd.lines"`: every line
/// was judged by the stream's log anomaly detector; the unusual ones are listed with what was expected instead.
public struct LinesReport: Sendable, Encodable {
    public static let schema = "stmd.lines"
    public static let schemaVersion = 1

    public struct Anomaly: Sendable, Encodable {
        /// 1-based line number in the file.
        public var line: Int
        public var text: String
        public var templateId: Int
        public var template: String
        /// `unknown_template` (a new kind of line) or `unexpected` (known, but not among the likely next ones).
        public var reason: String
        public var expected: [Expected]

        enum CodingKeys: String, CodingKey {
            case line, text, template, reason, expected
            case templateId = "template_id"
        }
    }

    public struct Expected: Sendable, Encodable {
        public var id: Int
        public var template: String
    }

    public var stream: String
    public var input: Annotation.Input
    /// Non-empty lines judged.
    public var lines: Int
    /// Lines judged while the stream was still learning (taken as normal).
    public var learningLines: Int
    public var anomalies: [Anomaly]
    public var daemon: Annotation.DaemonSection

    enum CodingKeys: String, CodingKey {
        case schema, stream, input, lines, anomalies, daemon
        case schemaVersion = "schema_version"
        case learningLines = "learning_lines"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(Self.schemaVersion, forKey: .schemaVersion)
        try container.encode(stream, forKey: .stream)
        try container.encode(input, forKey: .input)
        try container.encode(lines, forKey: .lines)
        try container.encode(learningLines, forKey: .learningLines)
        try container.encode(anomalies, forKey: .anomalies)
        try container.encode(daemon, forKey: .daemon)
    }
}
