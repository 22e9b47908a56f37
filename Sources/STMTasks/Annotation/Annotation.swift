import FoundationEssentials

/// What stmd writes about one document: schema `stmd.annotation`, version 1, one JSON object per document.
///
/// The JSON is one line without a trailing newline, keys sorted (by UTF-8 bytes) and slashes unescaped, so the same
/// value always gives the same bytes; `docs/ANNOTATION.md` is the reference for every key.
///
/// Values that depend on the run rather than the input (timings, absolute paths, wall-clock times) sit only under
/// keys whose names contain one of `runDependentKeyFragments`; everything else is a function of the input bytes,
/// its name and stream, and the models. Two annotations of the same document can thus be compared after dropping
/// those keys.
///
/// Compatibility: adding keys, task kinds or top-level sections (a later `"daemon"` or `"memory"` object) keeps
/// version 1, and readers must ignore keys they do not know; this type's decoder does, and it reads a task of an
/// unknown kind as `TaskResult.unrecognized`. Removing or renaming a key, or changing a value's type or meaning,
/// bumps `schema_version`, and the decoder refuses versions other than its own.
public struct Annotation: Sendable, Equatable {
    public static let schema = "stmd.annotation"
    public static let schemaVersion = 1
    /// A key whose name contains one of these may hold a value that differs between runs on the same input; so may
    /// everything nested under it.
    public static let runDependentKeyFragments = [
        "time", "timing", "ms", "seconds", "duration", "latency", "elapsed", "path",
    ]

    /// The stream (the inbox subfolder) the document arrived in; nil, and omitted, outside an inbox.
    public var stream: String?
    public var input: Input
    /// Results by task name (`topic`, `sentiment`, …).
    public var tasks: [String: TaskResult]
    /// Version of every model used, by model name; the initialiser fills it from `tasks`.
    public var models: [String: String]
    public var timing: Timing
    /// What the daemon adds when it writes the annotation beside a document (absent from `stmd annotate`).
    public var daemon: DaemonSection?
    /// The stream memory's view of the document (absent when memory is off or outside a stream).
    public var memory: MemorySection?

    public init(stream: String? = nil, input: Input, tasks: [String: TaskResult], timing: Timing) {
        self.stream = stream
        self.input = input
        self.tasks = tasks
        var models: [String: String] = [:]
        for result in tasks.values {
            if let model = result.model, let version = result.modelVersion { models[model] = version }
        }
        self.models = models
        self.timing = timing
    }

    public static func isRunDependent(key: String) -> Bool {
        runDependentKeyFragments.contains { key.contains($0) }
    }

    /// The canonical encoding: one line of UTF-8 JSON, no trailing newline. Throws `EncodingError` for a
    /// non-finite score or timing, which would not be JSON.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Reads an annotation, ignoring keys this version does not know.
    public static func decode(_ json: [UInt8]) throws -> Annotation {
        try JSONDecoder().decode(Annotation.self, from: Data(json))
    }

    /// Rounds to `places` decimals and widens, so the JSON shows the short decimal rather than a float's tail
    /// (`0.91`, not `0.9100000262260437`).
    static func rounded(_ value: Double, places: Int) -> Double {
        guard value.isFinite else { return value }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}

extension Annotation {
    /// How long the work took. Run-dependent by definition, hence the `timing` key.
    public struct Timing: Sendable, Equatable, Codable {
        /// From reading the document to having its annotation, in milliseconds.
        public var totalMilliseconds: Double
        /// Per task name, in milliseconds.
        public var taskMilliseconds: [String: Double]

        public init(totalMilliseconds: Double, taskMilliseconds: [String: Double] = [:]) {
            self.totalMilliseconds = totalMilliseconds
            self.taskMilliseconds = taskMilliseconds
        }

        private enum CodingKeys: String, CodingKey {
            case totalMilliseconds = "total_ms"
            case taskMilliseconds = "tasks_ms"
        }

        /// Microsecond resolution is all a timing needs, and it keeps the line short.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(Annotation.rounded(totalMilliseconds, places: 3), forKey: .totalMilliseconds)
            try container.encode(
                taskMilliseconds.mapValues { Annotation.rounded($0, places: 3) }, forKey: .taskMilliseconds)
        }
    }
}

extension Annotation: Codable {
    private enum CodingKeys: String, CodingKey {
        case schema
        case schemaVersion = "schema_version"
        case stream, input, tasks, models, timing, daemon, memory
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try container.decode(String.self, forKey: .schema)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(
                forKey: .schema, in: container, debugDescription: "schema '\(schema)' is not '\(Self.schema)'")
        }
        let version = try container.decode(Int.self, forKey: .schemaVersion)
        guard version == Self.schemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: container,
                debugDescription: "schema_version \(version) is not \(Self.schemaVersion), the version this stmd reads")
        }
        stream = try container.decodeIfPresent(String.self, forKey: .stream)
        input = try container.decode(Input.self, forKey: .input)
        tasks = try container.decode([String: TaskResult].self, forKey: .tasks)
        models = try container.decode([String: String].self, forKey: .models)
        timing = try container.decode(Timing.self, forKey: .timing)
        daemon = try container.decodeIfPresent(DaemonSection.self, forKey: .daemon)
        memory = try container.decodeIfPresent(MemorySection.self, forKey: .memory)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(Self.schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encode(input, forKey: .input)
        try container.encode(tasks, forKey: .tasks)
        try container.encode(models, forKey: .models)
        try container.encode(timing, forKey: .timing)
        try container.encodeIfPresent(daemon, forKey: .daemon)
        try container.encodeIfPresent(memory, forKey: .memory)
    }
}

extension Annotation {
    /// The daemon's fields: which stmd wrote the file and where the document sits inside its stream.
    public struct DaemonSection: Sendable, Equatable, Codable {
        /// stmd's version (a function of the installation, not of the run).
        public var version: String
        /// The document's path under its stream folder (`a/b.txt` for a nested folder), escaped like `input.name`.
        public var relativePath: String

        public init(version: String, relativePath: String) {
            self.version = version
            self.relativePath = relativePath
        }

        private enum CodingKeys: String, CodingKey {
            case version
            case relativePath = "relative_path"
        }
    }
}
