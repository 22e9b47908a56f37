import TOMLKit

/// Turns a TOML document into a `DaemonConfiguration`. Syntax errors stop at once (TOMLKit gives one, with its
/// position); every other problem is collected, so a user fixes the whole file in one pass.
///
/// Each table has one reader below that asks for every key it knows; whatever is left in a table is an unknown
/// key. Later sections slot in the same way: `[memory]` (issue 6) and `[[journal]]` (issue 8) are a key in
/// `globalKeys` plus a reader called from `configuration(from:)`; per-stream additions such as `kind = "lines"`
/// go in `streamKeys` and `streamOverride(_:)`; a task whose value is a table rather than a model name
/// (`summary = { model = "summary-news", sentences = 3 }`, issue 9) goes in `tasks(in:key:)`.
struct ConfigurationParser {
    let file: String
    /// Every problem found so far, in reading order.
    var problems: [ConfigurationError] = []

    /// The top-level keys, in the order of `etc/stmd/stmd.toml`; unknown keys elsewhere that match one exactly
    /// are pointed here (a global key written after a `[table]` header is TOML's classic slip).
    static let globalKeys = [
        "state_directory", "workers", "settle_delay", "maximum_wait", "max_file_size", "queue_capacity",
        "reconcile_interval", "poll", "poll_interval", "ignore", "output", "output_root", "failed", "failed_directory",
        "retry", "retention", "memory", "defaults", "streams", "logs", "journal",
    ]
    static let streamKeys = ["enabled", "tasks", "settle_delay", "maximum_wait", "max_file_size", "ignore", "kind"]

    init(file: String) {
        self.file = file
    }

    static func parse(_ text: String, file: String) throws(ConfigurationError) -> DaemonConfiguration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(
                file: file, line: error.source.begin.line, column: error.source.begin.column, message: error.description
            )
        } catch {
            throw .syntax(file: file, line: 0, column: 0, message: "\(error)")
        }
        var parser = ConfigurationParser(file: file)
        let configuration = parser.configuration(from: root)
        switch parser.problems.count {
        case 0: return configuration
        case 1: throw parser.problems[0]
        default: throw .several(parser.problems)
        }
    }

    mutating func configuration(from root: TOMLTable) -> DaemonConfiguration {
        var table = ConfigurationTable(root, path: [])
        var configuration = DaemonConfiguration()
        configuration.stateDirectory = absolutePath("state_directory", in: &table)
        configuration.workers = workers(in: &table) ?? configuration.workers
        let settleDelay = duration("settle_delay", in: &table, allowZero: true)
        let maximumWait = duration("maximum_wait", in: &table)
        configuration.settleDelay = settleDelay ?? configuration.settleDelay
        configuration.maximumWait = maximumWait ?? configuration.maximumWait
        checkSettleDelay(
            settleDelay, maximumWait, resolved: (configuration.settleDelay, configuration.maximumWait), in: table)
        configuration.maximumFileSize = size("max_file_size", in: &table) ?? configuration.maximumFileSize
        configuration.queueCapacity = integer("queue_capacity", in: &table, minimum: 1) ?? configuration.queueCapacity
        configuration.reconcileInterval = duration("reconcile_interval", in: &table) ?? configuration.reconcileInterval
        configuration.poll = bool("poll", in: &table) ?? configuration.poll
        configuration.pollInterval = duration("poll_interval", in: &table) ?? configuration.pollInterval
        configuration.ignore = patterns("ignore", in: &table) ?? configuration.ignore
        configuration.output = output(in: &table) ?? configuration.output
        configuration.failed = failed(in: &table) ?? configuration.failed
        if var retryTable = subtable("retry", in: &table) {
            configuration.retry = retry(&retryTable)
        }
        if var retentionTable = subtable("retention", in: &table) {
            configuration.retention = retention(&retentionTable)
        }
        if var memoryTable = subtable("memory", in: &table) {
            configuration.memory = memory(&memoryTable)
        }
        if var defaultsTable = subtable("defaults", in: &table) {
            configuration.tasks = tasks(in: &defaultsTable, key: "tasks") ?? configuration.tasks
            reportUnknownKeys(in: defaultsTable)
        }
        if var streamsTable = subtable("streams", in: &table) {
            configuration.streams = streams(&streamsTable, globals: configuration)
        }
        if var logsTable = subtable("logs", in: &table) {
            configuration.logs = logs(&logsTable)
        }
        configuration.journal = journalSources(in: &table)
        assert(table.knownKeys == Self.globalKeys, "globalKeys must list what configuration(from:) reads, in order")
        reportUnknownKeys(in: table, elsewhere: ["tasks": "defaults.tasks", "enabled": "streams.<name>.enabled"])
        return configuration
    }

    // MARK: Sections

    private mutating func workers(in table: inout ConfigurationTable) -> Int? {
        guard let value = table.value("workers") else { return nil }
        if value.string == "auto" { return DaemonConfiguration.onlineProcessorCount }
        guard let count = value.int else {
            if value.type == .string {
                invalid(table, "workers", value, "use a positive integer, or \"auto\" for the number of online CPUs")
            } else {
                wrongType(table, "workers", expected: "a positive integer or \"auto\"", value)
            }
            return nil
        }
        guard count >= 1 else {
            invalid(table, "workers", value, "at least one worker is needed")
            return nil
        }
        return count
    }

    private mutating func output(in table: inout ConfigurationTable) -> DaemonConfiguration.Output? {
        let mode = string("output", in: &table)
        let root = absolutePath("output_root", in: &table)
        switch mode ?? "alongside" {
        case "alongside":
            if root != nil {
                invalid(table, "output_root", table.table["output_root"]!.tomlValue, "only used with output = \"root\"")
                return nil
            }
            return .alongside
        case "root":
            if let root { return .root(path: root) }
            if table.table["output_root"] == nil {
                problems.append(
                    .missingKey(file: file, key: table.dottedKey("output_root"), requiredBy: "output = \"root\""))
            }
        default:
            invalid(table, "output", table.table["output"]!.tomlValue, "use \"alongside\" or \"root\"")
        }
        return nil
    }

    private mutating func failed(in table: inout ConfigurationTable) -> DaemonConfiguration.FailedHandling? {
        let mode = string("failed", in: &table)
        let directory = absolutePath("failed_directory", in: &table)
        switch mode ?? "error-file" {
        case "error-file":
            if directory != nil {
                invalid(
                    table, "failed_directory", table.table["failed_directory"]!.tomlValue,
                    "only used with failed = \"move\"")
                return nil
            }
            return .errorFile
        case "move":
            if let directory { return .move(directory: directory) }
            if table.table["failed_directory"] == nil {
                problems.append(
                    .missingKey(file: file, key: table.dottedKey("failed_directory"), requiredBy: "failed = \"move\""))
            }
        default:
            invalid(table, "failed", table.table["failed"]!.tomlValue, "use \"error-file\" or \"move\"")
        }
        return nil
    }

    private mutating func retry(_ table: inout ConfigurationTable) -> DaemonConfiguration.RetryPolicy {
        var policy = DaemonConfiguration.RetryPolicy()
        policy.maxAttempts = integer("max_attempts", in: &table, minimum: 1) ?? policy.maxAttempts
        let initial = duration("initial_backoff", in: &table)
        let maximum = duration("maximum_backoff", in: &table)
        policy.initialBackoff = initial ?? policy.initialBackoff
        policy.maximumBackoff = maximum ?? policy.maximumBackoff
        if policy.initialBackoff > policy.maximumBackoff {
            let key = initial != nil ? "initial_backoff" : "maximum_backoff"
            let initialText = DurationText.format(policy.initialBackoff)
            let maximumText = DurationText.format(policy.maximumBackoff)
            invalid(
                table, key, table.table[key]!.tomlValue,
                "initial_backoff (\(initialText)) is longer than maximum_backoff (\(maximumText))")
        }
        reportUnknownKeys(in: table)
        return policy
    }

    private mutating func retention(_ table: inout ConfigurationTable) -> DaemonConfiguration.RetentionPolicy {
        var policy = DaemonConfiguration.RetentionPolicy()
        policy.days = integer("days", in: &table, minimum: 1) ?? policy.days
        policy.maxRowsPerStream = integer("max_rows_per_stream", in: &table, minimum: 1) ?? policy.maxRowsPerStream
        reportUnknownKeys(in: table)
        return policy
    }

    private mutating func streams(
        _ table: inout ConfigurationTable, globals: DaemonConfiguration
    ) -> [String: DaemonConfiguration.StreamOverride] {
        var streams: [String: DaemonConfiguration.StreamOverride] = [:]
        for name in table.table.keys {
            let value = table.value(name)!
            guard let streamTable = value.table else {
                let expected =
                    Self.streamKeys.contains(name)
                    ? "a table of stream settings: '\(name)' belongs inside [streams.<name>]"
                    : "a table of stream settings, [\(table.dottedKey(name))]"
                wrongType(table, name, expected: expected, value)
                continue
            }
            if let reason = Self.streamNameProblem(name) {
                problems.append(.invalidName(file: file, key: table.dottedKey(name), reason: reason))
                continue
            }
            var stream = ConfigurationTable(streamTable, path: table.path + [name])
            streams[name] = streamOverride(&stream, globals: globals)
        }
        return streams
    }

    private mutating func streamOverride(
        _ table: inout ConfigurationTable, globals: DaemonConfiguration
    ) -> DaemonConfiguration.StreamOverride {
        var stream = DaemonConfiguration.StreamOverride()
        stream.enabled = bool("enabled", in: &table) ?? stream.enabled
        stream.tasks = tasks(in: &table, key: "tasks")
        stream.settleDelay = duration("settle_delay", in: &table, allowZero: true)
        stream.maximumWait = duration("maximum_wait", in: &table)
        checkSettleDelay(
            stream.settleDelay, stream.maximumWait,
            resolved: (stream.settleDelay ?? globals.settleDelay, stream.maximumWait ?? globals.maximumWait), in: table)
        stream.maximumFileSize = size("max_file_size", in: &table)
        stream.ignore = patterns("ignore", in: &table) ?? stream.ignore
        if let kind = string("kind", in: &table) {
            if let value = StreamKind(rawValue: kind) {
                stream.kind = value
            } else {
                invalid(table, "kind", table.table["kind"]!.tomlValue, "use \"documents\" or \"lines\" (log files judged line by line)")
            }
        }
        assert(table.knownKeys == Self.streamKeys, "streamKeys must list what streamOverride(_:) reads, in order")
        reportUnknownKeys(in: table)
        return stream
    }

    /// A file still changing is taken after `maximum_wait`, so a longer settle delay could never be met. The
    /// key set in this table is blamed (settle delay first); values inherited from the top level were checked there.
    private mutating func checkSettleDelay(
        _ settleDelay: Duration?, _ maximumWait: Duration?, resolved: (settle: Duration, maximum: Duration),
        in table: ConfigurationTable
    ) {
        guard resolved.settle > resolved.maximum else { return }
        let settleText = DurationText.format(resolved.settle)
        let maximumText = DurationText.format(resolved.maximum)
        if settleDelay != nil, let value = table.table["settle_delay"]?.tomlValue {
            invalid(table, "settle_delay", value, "longer than maximum_wait (\(maximumText))")
        } else if maximumWait != nil, let value = table.table["maximum_wait"]?.tomlValue {
            invalid(table, "maximum_wait", value, "shorter than settle_delay (\(settleText))")
        }
    }

    // MARK: Names

    static func isTaskName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// A stream is a folder directly inside an inbox root, so its name is a single path component.
    static func streamNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a stream name cannot be empty" }
        if name == "." || name == ".." { return "a stream name is a folder name, not '\(name)'" }
        if name.contains("/") { return "a stream name is a folder name and cannot contain '/'" }
        if name.unicodeScalars.contains("\0") { return "a stream name cannot contain NUL" }
        return nil
    }
}
