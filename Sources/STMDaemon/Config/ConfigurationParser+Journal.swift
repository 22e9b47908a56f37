import STMLogs
import TOMLKit

extension ConfigurationParser {
    static let priorityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// `[[journal]]`: an array of tables, each a journal source.
    mutating func journalSources(in table: inout ConfigurationTable) -> [JournalSourceSettings] {
        guard let value = table.value("journal") else { return [] }
        guard let array = value.array else {
            wrongType(table, "journal", expected: "an array of tables ([[journal]])", value)
            return []
        }
        var sources: [JournalSourceSettings] = []
        for (index, element) in array.enumerated() {
            guard let entryTable = element.table else {
                wrongType(table, "journal", index: index, expected: "a table ([[journal]])", element.tomlValue)
                continue
            }
            var entry = ConfigurationTable(entryTable, path: ["journal[\(index)]"])
            if let source = journalSource(&entry, index: index) {
                if sources.contains(where: { $0.name == source.name }) {
                    invalid(entry, "name", .init(stringLiteral: source.name), "another [[journal]] source has this name")
                } else {
                    sources.append(source)
                }
            }
            reportUnknownKeys(in: entry)
        }
        return sources
    }

    private mutating func journalSource(_ table: inout ConfigurationTable, index: Int) -> JournalSourceSettings? {
        let name = string("name", in: &table)
        var source = JournalSourceSettings(name: name ?? "")
        if let matches = table.value("matches") {
            if let array = matches.array {
                for (position, element) in array.enumerated() {
                    guard let term = element.string else {
                        wrongType(table, "matches", index: position, expected: "a FIELD=value string", element.tomlValue)
                        continue
                    }
                    guard let equals = term.firstIndex(of: "="), equals != term.startIndex,
                        term[..<equals].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
                    else {
                        invalid(table, "matches", index: position, element.tomlValue, "a match is FIELD=value with an upper-case field name")
                        continue
                    }
                    source.matches.append(term)
                }
            } else {
                wrongType(table, "matches", expected: "an array of FIELD=value strings", matches)
            }
        }
        if let priority = table.value("priority") {
            if let level = priority.int, (0...7).contains(level) {
                source.maximumPriority = level
            } else if let text = priority.string, let level = Self.priorityNames.firstIndex(of: text) {
                source.maximumPriority = level
            } else {
                invalid(table, "priority", priority, "use 0…7 or one of \(Self.priorityNames.joined(separator: ", "))")
            }
        }
        source.streamField = string("stream_field", in: &table) ?? source.streamField
        let directory = absolutePath("directory", in: &table)
        var files: [String] = []
        if let value = table.value("files") {
            if let array = value.array {
                for (position, element) in array.enumerated() {
                    if let path = element.string, path.hasPrefix("/") {
                        files.append(path)
                    } else {
                        invalid(table, "files", index: position, element.tomlValue, "an absolute path to a journal file")
                    }
                }
            } else {
                wrongType(table, "files", expected: "an array of absolute paths", value)
            }
        }
        if directory != nil && !files.isEmpty {
            invalid(table, "files", table.table["files"]!.tomlValue, "give directory or files, not both")
        }
        if let directory { source.location = .directory(directory) }
        if !files.isEmpty { source.location = .files(files) }
        if let start = string("start", in: &table) {
            if let value = JournalSourceSettings.Start(rawValue: start) {
                source.start = value
            } else {
                invalid(table, "start", table.table["start"]!.tomlValue, "use \"tail\" (new entries only) or \"head\"")
            }
        }
        guard let name else {
            problems.append(.missingKey(file: file, key: table.dottedKey("name"), requiredBy: "[[journal]]"))
            return nil
        }
        guard !name.isEmpty else {
            invalid(table, "name", table.table["name"]!.tomlValue, "a source needs a name (its checkpoint's key)")
            return nil
        }
        return source
    }

    /// `[logs]`.
    mutating func logs(_ table: inout ConfigurationTable) -> DaemonConfiguration.LogMonitorConfiguration {
        var logs = DaemonConfiguration.LogMonitorConfiguration()
        if let window = integer("window", in: &table, minimum: 1) { logs.detector.window = window }
        if let candidates = integer("candidates", in: &table, minimum: 1) { logs.detector.candidates = candidates }
        if let value = table.value("min_probability") {
            if let probability = Self.number(value), probability >= 0, probability < 1 {
                logs.detector.minimumProbability = probability
            } else {
                invalid(table, "min_probability", value, "a probability in [0, 1)")
            }
        }
        if let lines = integer("learning_lines", in: &table, minimum: 0) { logs.detector.learningLines = lines }
        if let alerts = integer("alerts_per_minute", in: &table, minimum: 1) { logs.alertsPerMinute = alerts }
        if let time = duration("learning_time", in: &table) { logs.learningTime = Self.seconds(time) }
        logs.model = string("model", in: &table)
        if let reason = logs.detector.validationError {
            problems.append(.invalidValue(file: file, key: table.dottedName, value: "[logs]", reason: reason))
        }
        reportUnknownKeys(in: table)
        return logs
    }
}
