public import STMTasks
import FoundationEssentials

/// The body of `<name>.stm.error.json`: why a document got no annotation (docs/ANNOTATION.md). Deterministic
/// like the annotation: keys sorted, no run-dependent values.
public struct ErrorReport: Sendable, Equatable, Codable {
    public static let schema = "stmd.error"
    public static let schemaVersion = 1

    public struct Input: Sendable, Equatable, Codable {
        public var name: String
        public var nameBase64: String?
        public var size: Int?
        public var sha256: String?

        private enum CodingKeys: String, CodingKey {
            case name, size, sha256
            case nameBase64 = "name_base64"
        }
    }

    public struct Failure: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        public var transient: Bool
    }

    public var stream: String?
    public var input: Input
    public var error: Failure
    public var attempts: Int
    public var daemon: Annotation.DaemonSection?

    public init(stream: String?, name: [UInt8], contents: [UInt8]?, error: DocumentReadError, attempts: Int, daemon: Annotation.DaemonSection?) {
        let escaped = InputName(bytes: name)
        self.stream = stream
        input = Input(
            name: escaped.name, nameBase64: escaped.nameBase64, size: contents?.count,
            sha256: contents.map { SHA256.hex(of: SHA256.hash($0)) })
        self.error = Failure(code: error.code, message: error.description, transient: error.isTransient)
        self.attempts = attempts
        self.daemon = daemon
    }

    private enum CodingKeys: String, CodingKey {
        case schema
        case schemaVersion = "schema_version"
        case stream, input, error, attempts, daemon
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stream = try container.decodeIfPresent(String.self, forKey: .stream)
        input = try container.decode(Input.self, forKey: .input)
        error = try container.decode(Failure.self, forKey: .error)
        attempts = try container.decode(Int.self, forKey: .attempts)
        daemon = try container.decodeIfPresent(Annotation.DaemonSection.self, forKey: .daemon)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(Self.schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encode(input, forKey: .input)
        try container.encode(error, forKey: .error)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(daemon, forKey: .daemon)
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
