/// The one form durations take in the configuration: a string of numbers with units, largest unit first —
/// `"300ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"1.5s"`, `"7d"` (units `ms`, `s`, `m`, `h`, `d`). A bare TOML number is
/// refused rather than read as seconds, so `settle_delay = 300` (meant as milliseconds) cannot slip through.
enum DurationText {
    /// Why a string is not a duration; the parser turns it into a message naming the key.
    enum Failure: Error, Equatable {
        case empty, negative, malformed, unknownUnit(String), unitOrder, tooLarge

        var reason: String {
            switch self {
            case .empty: return "a duration cannot be empty; write e.g. \"30s\""
            case .negative: return "a duration cannot be negative"
            case .malformed:
                return "not a duration; write a number with a unit, e.g. \"300ms\", \"30s\", \"5m\" or \"1h30m\""
            case .unknownUnit(let unit): return "unknown unit '\(unit)'; use ms, s, m, h or d"
            case .unitOrder: return "units must go from largest to smallest, each once, e.g. \"1h30m\""
            case .tooLarge: return "too large a duration"
            }
        }
    }

    /// Units, largest first, in nanoseconds.
    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ]

    static func parse(_ text: String) -> Result<Duration, Failure> {
        let characters = Array(text.unicodeScalars)
        if characters.isEmpty { return .failure(.empty) }
        if characters.first == "-" { return .failure(.negative) }
        var index = 0
        var total: Int64 = 0
        var lastUnitIndex = -1
        while index < characters.count {
            var whole = ""
            var fraction = ""
            while index < characters.count, ("0"..."9").contains(characters[index]) {
                whole.unicodeScalars.append(characters[index])
                index += 1
            }
            if index < characters.count, characters[index] == "." {
                index += 1
                while index < characters.count, ("0"..."9").contains(characters[index]) {
                    fraction.unicodeScalars.append(characters[index])
                    index += 1
                }
                if fraction.isEmpty { return .failure(.malformed) }
            }
            if whole.isEmpty { return .failure(.malformed) }
            var unit = ""
            while index < characters.count, characters[index].properties.isAlphabetic {
                unit.unicodeScalars.append(characters[index])
                index += 1
            }
            if unit.isEmpty { return .failure(.malformed) }
            guard let unitIndex = units.firstIndex(where: { $0.suffix == unit }) else {
                return .failure(.unknownUnit(unit))
            }
            if unitIndex <= lastUnitIndex { return .failure(.unitOrder) }
            lastUnitIndex = unitIndex
            let scale = units[unitIndex].nanoseconds
            guard let wholeValue = Int64(whole) else { return .failure(.tooLarge) }
            let (scaled, overflow) = wholeValue.multipliedReportingOverflow(by: scale)
            if overflow { return .failure(.tooLarge) }
            // The fraction is below one unit, so a Double rounded to the nearest nanosecond is exact enough.
            let fractionValue = fraction.isEmpty ? 0 : Int64((Double("0." + fraction)! * Double(scale)).rounded())
            let (partial, overflow2) = scaled.addingReportingOverflow(fractionValue)
            let (sum, overflow3) = total.addingReportingOverflow(partial)
            if overflow2 || overflow3 { return .failure(.tooLarge) }
            total = sum
        }
        return .success(.nanoseconds(total))
    }

    /// The canonical text of a duration, the inverse of `parse` (`"1h30m"`, `"300ms"`, `"0s"`), for logs and messages.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || attoseconds < 0 { return "-" + format(.zero - duration) }
        var remaining = seconds
        var text = ""
        for (suffix, nanoseconds) in units where suffix != "ms" {
            let unitSeconds = nanoseconds / 1_000_000_000
            if remaining >= unitSeconds {
                text += "\(remaining / unitSeconds)\(suffix)"
                remaining %= unitSeconds
            }
        }
        let nanoseconds = attoseconds / 1_000_000_000
        if nanoseconds > 0 {
            let milliseconds = nanoseconds / 1_000_000
            let rest = nanoseconds % 1_000_000
            if rest == 0 {
                text += "\(milliseconds)ms"
            } else {
                var digits = String(rest)
                digits = String(repeating: "0", count: 6 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += "\(milliseconds).\(digits)ms"
            }
        }
        return text.isEmpty ? "0s" : text
    }
}
