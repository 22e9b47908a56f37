import TOMLKit

/// One TOML table being read, with its dotted path and the keys asked for so far. Every key the parser knows is
/// asked for (present or not), so what is left over afterwards is exactly the unknown keys — which is how new
/// sections (`[memory]`, `[[journal]]`, …) stay errors until someone teaches the parser to read them.
struct ConfigurationTable {
    let table: TOMLTable
    /// Path segments from the root, unquoted: `["streams", "news"]`.
    let path: [String]
    private(set) var knownKeys: [String] = []

    init(_ table: TOMLTable, path: [String]) {
        self.table = table
        self.path = path
    }

    /// The value at `key`, or nil when absent; either way `key` counts as known from now on.
    mutating func value(_ key: String) -> TOMLValue? {
        if !knownKeys.contains(key) { knownKeys.append(key) }
        return table[key]?.tomlValue
    }

    /// Keys present in the file that nobody asked for, in the table's (sorted) order.
    var unknownKeys: [String] {
        table.keys.filter { !knownKeys.contains($0) }
    }

    /// The full dotted key of `key` in this table, quoted where TOML needs quotes: `streams."my.folder".tasks`.
    func dottedKey(_ key: String) -> String {
        Self.dotted(path + [key])
    }

    /// This table's own dotted name (`retry`, `streams.news`), or `""` for the root.
    var dottedName: String { Self.dotted(path) }

    static func dotted(_ segments: [String]) -> String {
        segments.map(quotedIfNeeded).joined(separator: ".")
    }

    /// A bare TOML key is `A-Za-z0-9_-`; anything else is written as a quoted key.
    static func quotedIfNeeded(_ segment: String) -> String {
        // An element of an array of tables, `journal[0]`, is shown as such.
        if let open = segment.firstIndex(of: "["), segment.hasSuffix("]"), open != segment.startIndex,
            segment[segment.index(after: open)..<segment.index(before: segment.endIndex)].allSatisfy(\.isNumber)
        {
            return quotedIfNeeded(String(segment[..<open])) + segment[open...]
        }
        let bare =
            !segment.isEmpty
            && segment.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                        || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
            }
        return bare ? segment : quoted(segment)
    }

    /// A TOML basic string: `"…"` with quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}
