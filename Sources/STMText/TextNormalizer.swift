import Foundation

/// Canonical form for classifier input: HTML entities decoded, Unicode NFKC, case folded.
///
/// Web and news text arrives with entities (`&amp;`, `&#39;`) and, in AG News, with the `&` lost (` #39;`).
/// Decoding happens before NFKC so that `&nbsp;` becomes U+00A0 and then an ordinary space, and NFKC makes
/// ligatures (`ﬁ`) and full-width forms (`１２`) match the vocabulary built from plain text.
/// Callers decode bytes first (invalid UTF-8 as U+FFFD); this type never fails.
public struct TextNormalizer: Sendable, Hashable, Codable {
    /// Decode named, decimal and hex HTML entities, plus AG News's ` #NN;` form.
    public var decodesEntities: Bool
    /// Apply Unicode NFKC (compatibility composition).
    public var appliesCompatibilityMapping: Bool
    /// Lower-case without a locale, so `I` never becomes a Turkish dotless `ı`.
    public var foldsCase: Bool

    public init(decodesEntities: Bool = true, appliesCompatibilityMapping: Bool = true, foldsCase: Bool = true) {
        self.decodesEntities = decodesEntities
        self.appliesCompatibilityMapping = appliesCompatibilityMapping
        self.foldsCase = foldsCase
    }

    public func normalize(_ text: String) -> String {
        var result = text
        if decodesEntities { result = Self.decodeEntities(in: result) }
        if appliesCompatibilityMapping { result = result.precomposedStringWithCompatibilityMapping }
        if foldsCase { result = result.lowercased() }
        return result
    }

    /// Decodes `&name;`, `&#NNN;`, `&#xHH;` and the AG News ` #NNN;` (space standing in for the lost `&`,
    /// so the space is dropped: `hasn #39;t` → `hasn't`). Unknown or malformed references are kept verbatim.
    public static func decodeEntities(in text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains(where: { $0 == "&" || $0 == "#" }) else { return text }
        var output = String.UnicodeScalarView()
        output.reserveCapacity(scalars.count)
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "&", let (decoded, end) = parseReference(scalars, from: i + 1, allowsNamed: true) {
                output.append(contentsOf: decoded.unicodeScalars)
                i = end
            } else if scalar == " ", i + 1 < scalars.count, scalars[i + 1] == "#",
                let (decoded, end) = parseReference(scalars, from: i + 1, allowsNamed: false)
            {
                output.append(contentsOf: decoded.unicodeScalars)
                i = end
            } else if scalar == "#", i == 0, let (decoded, end) = parseReference(scalars, from: 0, allowsNamed: false) {
                output.append(contentsOf: decoded.unicodeScalars)
                i = end
            } else {
                output.append(scalar)
                i += 1
            }
        }
        return String(output)
    }

    /// Parses what follows an `&` (at `start`): `#digits;`, `#xhex;` or `name;`. Returns the text and the index
    /// after the `;`.
    private static func parseReference(
        _ scalars: [Unicode.Scalar], from start: Int, allowsNamed: Bool
    ) -> (String, Int)? {
        guard start < scalars.count else { return nil }
        let maximumLength = 10  // longer runs are not references; bounds the look-ahead so decoding stays linear
        if scalars[start] == "#" {
            var j = start + 1
            var radix: UInt32 = 10
            if j < scalars.count, scalars[j] == "x" || scalars[j] == "X" {
                radix = 16
                j += 1
            }
            let digitsStart = j
            var value: UInt32 = 0
            while j < scalars.count, j - digitsStart < maximumLength, let digit = digitValue(scalars[j], radix: radix) {
                value = value &* radix &+ digit
                j += 1
            }
            guard j > digitsStart, j - digitsStart <= 7, j < scalars.count, scalars[j] == ";" else { return nil }
            return (String(Character(numericScalar(value))), j + 1)
        }
        guard allowsNamed else { return nil }
        var j = start
        var name = ""
        while j < scalars.count, j - start < maximumLength, scalars[j].isASCIIAlphanumeric {
            name.unicodeScalars.append(scalars[j])
            j += 1
        }
        guard j < scalars.count, scalars[j] == ";", let decoded = namedEntities[name] else { return nil }
        return (decoded, j + 1)
    }

    private static func digitValue(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        switch scalar.value {
        case 0x30...0x39: return scalar.value - 0x30
        case 0x61...0x66 where radix == 16: return scalar.value - 0x61 + 10
        case 0x41...0x46 where radix == 16: return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    /// HTML5 rules: 0x80–0x9F are read as Windows-1252 (news feeds write `&#151;` for an em dash); NUL,
    /// surrogates and out-of-range values become U+FFFD.
    private static func numericScalar(_ value: UInt32) -> Unicode.Scalar {
        if (0x80...0x9F).contains(value) {
            let mapped = windows1252[Int(value - 0x80)]
            return Unicode.Scalar(mapped) ?? "\u{FFFD}"
        }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return scalar
    }

    private static let windows1252: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
        0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// The named entities seen in news and web text; the full HTML5 table (2,000+ names) is not needed here.
    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
        "AMP": "&", "LT": "<", "GT": ">", "QUOT": "\"",
        "ndash": "\u{2013}", "mdash": "\u{2014}", "lsquo": "\u{2018}", "rsquo": "\u{2019}", "ldquo": "\u{201C}",
        "rdquo": "\u{201D}", "sbquo": "\u{201A}", "bdquo": "\u{201E}", "hellip": "\u{2026}", "laquo": "\u{00AB}",
        "raquo": "\u{00BB}", "bull": "\u{2022}", "middot": "\u{00B7}", "copy": "\u{00A9}", "reg": "\u{00AE}",
        "trade": "\u{2122}", "deg": "\u{00B0}", "euro": "\u{20AC}", "pound": "\u{00A3}", "yen": "\u{00A5}",
        "cent": "\u{00A2}", "sect": "\u{00A7}", "para": "\u{00B6}", "times": "\u{00D7}", "divide": "\u{00F7}",
        "frac12": "\u{00BD}", "frac14": "\u{00BC}", "frac34": "\u{00BE}", "shy": "\u{00AD}", "eacute": "\u{00E9}",
        "egrave": "\u{00E8}", "aacute": "\u{00E1}", "agrave": "\u{00E0}", "iacute": "\u{00ED}", "oacute": "\u{00F3}",
        "uacute": "\u{00FA}", "ntilde": "\u{00F1}", "ccedil": "\u{00E7}", "auml": "\u{00E4}", "ouml": "\u{00F6}",
        "uuml": "\u{00FC}", "szlig": "\u{00DF}", "Eacute": "\u{00C9}", "Auml": "\u{00C4}", "Ouml": "\u{00D6}",
        "Uuml": "\u{00DC}",
    ]
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
    }
}
