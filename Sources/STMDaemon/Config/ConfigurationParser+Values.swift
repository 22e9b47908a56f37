import TOMLKit

/// Typed reads of one key. Each returns nil when the key is absent or its value was refused; a refusal is recorded
/// in `problems` with the full dotted key and the value as written, and the caller keeps the default.
extension ConfigurationParser {
    mutating func string(_ key: String, in table: inout ConfigurationTable) -> String? {
        guard let value = table.value(key) else { return nil }
        guard let string = value.string else {
            wrongType(table, key, expected: "a string", value)
            return nil
        }
        return string
    }

    mutating func bool(_ key: String, in table: inout ConfigurationTable) -> Bool? {
        guard let value = table.value(key) else { return nil }
        guard let bool = value.bool else {
            wrongType(table, key, expected: "true or false", value)
            return nil
        }
        return bool
    }

    mutating func integer(_ key: String, in table: inout ConfigurationTable, minimum: Int) -> Int? {
        guard let value = table.value(key) else { return nil }
        guard let integer = value.int else {
            wrongType(table, key, expected: minimum == 1 ? "a positive integer" : "an integer", value)
            return nil
        }
        guard integer >= minimum else {
            invalid(table, key, value, "must be at least \(minimum)")
            return nil
        }
        return integer
    }

    /// A duration string (`DurationText`); zero is refused unless `allowZero`, since a zero interval or maximum
    /// would make the daemon spin or never wait.
    mutating func duration(_ key: String, in table: inout ConfigurationTable, allowZero: Bool = false) -> Duration? {
        guard let value = table.value(key) else { return nil }
        guard let text = value.string else {
            wrongType(table, key, expected: "a duration string such as \"30s\", \"300ms\" or \"5m\"", value)
            return nil
        }
        switch DurationText.parse(text) {
        case .failure(let failure):
            invalid(table, key, value, failure.reason)
            return nil
        case .success(let duration):
            if duration == .zero && !allowZero {
                invalid(table, key, value, "must be longer than zero")
                return nil
            }
            return duration
        }
    }

    /// A size: an integer of bytes or a string with a unit (`ByteSizeText`), more than zero.
    mutating func size(_ key: String, in table: inout ConfigurationTable) -> Int? {
        guard let value = table.value(key) else { return nil }
        let result: Result<Int, ByteSizeText.Failure>
        if let bytes = value.int {
            result = bytes < 0 ? .failure(.negative) : .success(bytes)
        } else if let text = value.string {
            result = ByteSizeText.parse(text)
        } else {
            wrongType(table, key, expected: "a size such as \"10MiB\", or an integer of bytes", value)
            return nil
        }
        switch result {
        case .failure(let failure):
            invalid(table, key, value, failure.reason)
            return nil
        case .success(let bytes):
            if bytes == 0 {
                invalid(table, key, value, "must be more than zero bytes")
                return nil
            }
            return bytes
        }
    }

    /// An absolute path. Relative paths are refused: the daemon's working directory is not the config's folder,
    /// and under systemd it is `/`, so a relative path would silently mean something else.
    mutating func absolutePath(_ key: String, in table: inout ConfigurationTable) -> String? {
        guard let value = table.value(key) else { return nil }
        guard let path = value.string else {
            wrongType(table, key, expected: "a path (a string)", value)
            return nil
        }
        guard path.hasPrefix("/") else {
            invalid(table, key, value, "must be an absolute path")
            return nil
        }
        guard !path.unicodeScalars.contains("\0") else {
            invalid(table, key, value, "a path cannot contain NUL")
            return nil
        }
        return path
    }

    /// An array of glob patterns matched against file names (never paths, so a `/` can never match).
    mutating func patterns(_ key: String, in table: inout ConfigurationTable) -> [String]? {
        guard let value = table.value(key) else { return nil }
        guard let array = value.array else {
            wrongType(table, key, expected: "an array of glob patterns such as [\"*.bak\"]", value)
            return nil
        }
        var patterns: [String] = []
        for (index, element) in array.enumerated() {
            guard let pattern = element.string else {
                wrongType(table, key, index: index, expected: "a glob pattern (a string)", element.tomlValue)
                continue
            }
            if pattern.isEmpty {
                invalid(table, key, index: index, element.tomlValue, "an empty pattern matches nothing")
            } else if pattern.contains("/") {
                invalid(
                    table, key, index: index, element.tomlValue, "patterns match file names, which never contain '/'")
            } else {
                patterns.append(pattern)
            }
        }
        return patterns
    }

    /// A sub-table; `[retry]`, `[defaults]` and the like, or an inline `{ … }`.
    mutating func subtable(_ key: String, in table: inout ConfigurationTable) -> ConfigurationTable? {
        guard let value = table.value(key) else { return nil }
        guard let subtable = value.table else {
            wrongType(table, key, expected: "a table ([\(table.dottedKey(key))] or { … })", value)
            return nil
        }
        return ConfigurationTable(subtable, path: table.path + [key])
    }

    /// Records every key of `table` nobody read, with the nearest known key of the same table as a suggestion,
    /// else the place the key belongs when it is known elsewhere (`elsewhere`, then the top-level keys).
    mutating func reportUnknownKeys(in table: ConfigurationTable, elsewhere: [String: String] = [:]) {
        for key in table.unknownKeys {
            var suggestion = KeySuggestion.closest(to: key, among: table.knownKeys).map(table.dottedKey)
            if suggestion == nil {
                if let place = elsewhere[key] {
                    suggestion = place
                } else if !table.path.isEmpty, Self.globalKeys.contains(key) {
                    suggestion = key
                }
            }
            problems.append(.unknownKey(file: file, key: table.dottedKey(key), suggestion: suggestion))
        }
    }

    /// `index` names an array element: `ignore[2]`.
    mutating func wrongType(
        _ table: ConfigurationTable, _ key: String, index: Int? = nil, expected: String, _ value: TOMLValue
    ) {
        let found = "\(Self.typeName(value)) \(Self.render(value))"
        problems.append(.wrongType(file: file, key: Self.fullKey(table, key, index), expected: expected, found: found))
    }

    mutating func invalid(
        _ table: ConfigurationTable, _ key: String, index: Int? = nil, _ value: TOMLValue, _ reason: String
    ) {
        problems.append(
            .invalidValue(file: file, key: Self.fullKey(table, key, index), value: Self.render(value), reason: reason))
    }

    private static func fullKey(_ table: ConfigurationTable, _ key: String, _ index: Int?) -> String {
        table.dottedKey(key) + (index.map { "[\($0)]" } ?? "")
    }

    static func typeName(_ value: TOMLValue) -> String {
        switch value.type {
        case .table: return "table"
        case .array: return "array"
        case .string: return "string"
        case .int: return "integer"
        case .double: return "float"
        case .bool: return "boolean"
        case .date: return "date"
        case .time: return "time"
        case .dateTime: return "date-time"
        }
    }

    /// A value as TOML would write it, shortened for messages: strings quoted, tables summarised.
    static func render(_ value: TOMLValue) -> String {
        switch value.type {
        case .string: return ConfigurationTable.quoted(value.string ?? "")
        case .int: return String(value.int ?? 0)
        case .double: return String(value.double ?? 0)
        case .bool: return String(value.bool ?? false)
        case .array:
            let elements = (value.array.map { Array($0) } ?? []).map { render($0.tomlValue) }
            let shown = elements.count > 4 ? elements.prefix(4) + ["…"] : elements[...]
            return "[" + shown.joined(separator: ", ") + "]"
        case .table:
            let keys = value.table?.keys ?? []
            return keys.isEmpty
                ? "{}" : "{ " + keys.map(ConfigurationTable.quotedIfNeeded).joined(separator: ", ") + " = … }"
        case .date, .time, .dateTime: return value.debugDescription
        }
    }
}
