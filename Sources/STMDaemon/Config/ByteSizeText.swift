/// Sizes in the configuration: a TOML integer of bytes, or a string with a unit — `"10MiB"`, `"512KiB"`, `"1.5GiB"`,
/// `"100B"`, or decimal `"10MB"` (10⁶ bytes). Binary units are what the default uses; both are accepted because
/// users write both, and a bare `"10M"` is refused as ambiguous.
enum ByteSizeText {
    enum Failure: Error, Equatable {
        case empty, negative, malformed, unknownUnit(String), tooLarge

        var reason: String {
            switch self {
            case .empty: return "a size cannot be empty; write e.g. \"10MiB\""
            case .negative: return "a size cannot be negative"
            case .malformed: return "not a size; write bytes as an integer, or a number with a unit, e.g. \"10MiB\""
            case .unknownUnit(let unit):
                return "unknown unit '\(unit)'; use B, KiB, MiB, GiB, TiB (powers of 1024) "
                    + "or kB, MB, GB, TB (powers of 1000)"
            case .tooLarge: return "too large a size"
            }
        }
    }

    /// Unit names, compared without regard to case, and their sizes in bytes.
    static let units: [String: Int64] = [
        "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]

    static func parse(_ text: String) -> Result<Int, Failure> {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return .failure(.empty) }
        if trimmed.hasPrefix("-") { return .failure(.negative) }
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let number = String(trimmed[..<numberEnd])
        let unit = String(trimmed[numberEnd...]).trimmingSpaces()
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty }) else { return .failure(.malformed) }
        if unit.isEmpty && parts.count == 1 {
            // A string of digits alone is bytes, the same as the TOML integer.
            guard let bytes = Int(number) else { return .failure(.tooLarge) }
            return .success(bytes)
        }
        guard let scale = units[unit.lowercased()] else {
            return unit.isEmpty ? .failure(.malformed) : .failure(.unknownUnit(unit))
        }
        guard let whole = Int64(parts[0]) else { return .failure(.tooLarge) }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        if overflow { return .failure(.tooLarge) }
        // A fractional part counts whole bytes only ("1.5KiB" is 1536 bytes).
        let fraction = parts.count == 2 ? Int64((Double("0." + parts[1])! * Double(scale)).rounded(.down)) : 0
        let (bytes, overflow2) = scaled.addingReportingOverflow(fraction)
        if overflow2 { return .failure(.tooLarge) }
        return .success(Int(bytes))
    }

    /// A size in the largest binary unit that divides it exactly (`"10MiB"`, `"1536B"`), for logs and messages.
    static func format(_ bytes: Int) -> String {
        for (suffix, scale) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)B"
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (FoundationEssentials has no `trimmingCharacters`).
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
