/// Word-level tokenizer matching the pre-tokenised SST/MR style, so raw text meets the same vocabulary.
///
/// - Whitespace and control characters separate tokens; U+FFFD (left by invalid bytes) is dropped too.
/// - Every other non-word character (punctuation, symbols, emoji) is a token of its own.
/// - Kept whole: URLs (`http://`, `https://`, `www.`), e-mail addresses, numbers with internal `.`/`,`
///   (`3.5`, `1,000`), and hyphenated words (`well-made`, as SST writes them).
/// - Contractions split as in the Penn Treebank style of SST: `doesn't` → `does n't`, `it's` → `it 's`;
///   already split input (`does n't`, `it 's`) gives the same tokens. `o'clock`, `O'Brien` stay whole.
///
/// Works on an array of `Character`s with bounded look-ahead, so time is linear in the input length.
public struct WordTokenizer: Tokenizer, Hashable, Codable {
    public static let urlToken = "<url>"
    public static let emailToken = "<email>"
    public static let numberToken = "<num>"
    /// The placeholders this tokenizer may emit; reserve them as vocabulary specials.
    public static let placeholderTokens = [urlToken, emailToken, numberToken]

    /// Replace URLs with `<url>`: their text is rarely informative and would flood the vocabulary.
    public var mapsURLs: Bool
    /// Replace e-mail addresses with `<email>`.
    public var mapsEmails: Bool
    /// Replace plain numbers (`42`, `3.5`, `1,000`) with `<num>`.
    public var mapsNumbers: Bool

    public init(mapsURLs: Bool = true, mapsEmails: Bool = true, mapsNumbers: Bool = false) {
        self.mapsURLs = mapsURLs
        self.mapsEmails = mapsEmails
        self.mapsNumbers = mapsNumbers
    }

    public func tokens(in text: String) -> [String] {
        let chars = Array(text)
        var tokens: [String] = []
        tokens.reserveCapacity(chars.count / 4)
        var i = 0
        // End of the last failed e-mail scan: any start before it reaches the same non-`@` stop, so skip it.
        var emailScanFailedBefore = 0
        while i < chars.count {
            let c = chars[i]
            if Self.isSeparator(c) {
                i += 1
                continue
            }
            let atBoundary = i == 0 || !Self.isWordCharacter(chars[i - 1])
            if atBoundary, let end = Self.urlEnd(chars, from: i) {
                tokens.append(mapsURLs ? Self.urlToken : String(chars[i..<end]))
                i = end
                continue
            }
            if Self.isWordCharacter(c) {
                if i >= emailScanFailedBefore {
                    switch Self.emailEnd(chars, from: i) {
                    case .found(let end):
                        tokens.append(mapsEmails ? Self.emailToken : String(chars[i..<end]))
                        i = end
                        continue
                    case .notFound(let stop):
                        emailScanFailedBefore = stop
                    }
                }
                i = scanWord(chars, from: i, into: &tokens)
                continue
            }
            if Self.isApostrophe(c), let (suffix, end) = Self.contractionSuffix(chars, from: i + 1) {
                // Pre-tokenised input: `it 's`, `we 're`.
                tokens.append("'" + suffix)
                i = end
                continue
            }
            tokens.append(String(c))
            i += 1
        }
        return tokens
    }

    /// Scans a word starting at `start` (a word character); appends its token(s) and returns the index after it.
    private func scanWord(_ chars: [Character], from start: Int, into tokens: inout [String]) -> Int {
        var j = start
        while j < chars.count {
            let c = chars[j]
            if Self.isWordCharacter(c) {
                j += 1
                continue
            }
            let hasNext = j + 1 < chars.count
            if c == "." || c == ",", hasNext, Self.isNumber(chars[j - 1]), Self.isNumber(chars[j + 1]) {
                j += 1
                continue
            }
            if c == "-", hasNext, Self.isWordCharacter(chars[j + 1]) {
                j += 1
                continue
            }
            if Self.isApostrophe(c), Self.isLetter(chars[j - 1]) {
                if let (suffix, end) = Self.contractionSuffix(chars, from: j + 1) {
                    if j > start { tokens.append(word(chars[start..<j])) }
                    tokens.append("'" + suffix)
                    return end
                }
                if hasNext, chars[j + 1] == "t" || chars[j + 1] == "T", chars[j - 1] == "n" || chars[j - 1] == "N",
                    j + 2 == chars.count || !Self.isLetter(chars[j + 2])
                {
                    // `doesn't` → `does` `n't`; `does n't` arrives here with an empty stem.
                    if j - 1 > start { tokens.append(word(chars[start..<(j - 1)])) }
                    tokens.append(String(chars[j - 1]) + "'" + String(chars[j + 1]))
                    return j + 2
                }
                if hasNext, Self.isLetter(chars[j + 1]) {  // o'clock, O'Brien
                    j += 1
                    continue
                }
            }
            break
        }
        tokens.append(word(chars[start..<j]))
        return j
    }

    private func word(_ chars: ArraySlice<Character>) -> String {
        if mapsNumbers, chars.first.map(Self.isNumber) == true,
            chars.allSatisfy({ Self.isNumber($0) || $0 == "." || $0 == "," })
        {
            return Self.numberToken
        }
        return String(chars)
    }

    /// `s m d re ve ll` after an apostrophe, followed by a non-letter: the clitics SST splits off.
    private static func contractionSuffix(_ chars: [Character], from start: Int) -> (String, Int)? {
        var j = start
        while j < chars.count, j - start < 3, Self.isLetter(chars[j]) { j += 1 }
        guard j > start, j == chars.count || !Self.isLetter(chars[j]) else { return nil }
        let suffix = String(chars[start..<j])
        guard ["s", "m", "d", "re", "ve", "ll"].contains(suffix.lowercased()) else { return nil }
        return (suffix, j)
    }

    private enum EmailScan {
        case found(end: Int)
        case notFound(stop: Int)
    }

    /// `local@domain.tld`: local part of word characters and `._%+-`, domain of word characters, `.` and `-`
    /// with at least one inner dot.
    private static func emailEnd(_ chars: [Character], from start: Int) -> EmailScan {
        var j = start
        while j < chars.count, isWordCharacter(chars[j]) || "._%+-".contains(chars[j]) { j += 1 }
        guard j < chars.count, chars[j] == "@", j > start else { return .notFound(stop: j) }
        var k = j + 1
        while k < chars.count, isWordCharacter(chars[k]) || chars[k] == "." || chars[k] == "-" { k += 1 }
        while k > j + 1, chars[k - 1] == "." || chars[k - 1] == "-" { k -= 1 }  // sentence-final dot
        guard let lastDot = chars[(j + 1)..<k].lastIndex(of: "."), lastDot > j + 1 else { return .notFound(stop: j) }
        return .found(end: k)
    }

    /// A URL runs to the next whitespace, minus trailing punctuation that belongs to the sentence.
    private static func urlEnd(_ chars: [Character], from start: Int) -> Int? {
        guard "hHwW".contains(chars[start]) else { return nil }  // cheap reject before the prefix compare
        var prefixLength = 0
        for prefix in ["https://", "http://", "www."] where hasPrefix(chars, prefix, at: start) {
            prefixLength = prefix.count
            break
        }
        guard prefixLength > 0 else { return nil }
        var j = start + prefixLength
        while j < chars.count, !isSeparator(chars[j]), !"<>\"".contains(chars[j]) { j += 1 }
        while j > start + prefixLength, ".,;:!?'\")]}".contains(chars[j - 1]) { j -= 1 }
        return j > start + prefixLength ? j : nil
    }

    private static func hasPrefix(_ chars: [Character], _ prefix: String, at start: Int) -> Bool {
        var j = start
        for p in prefix {
            guard j < chars.count, chars[j].lowercased() == String(p) else { return false }
            j += 1
        }
        return true
    }

    // ASCII first: Unicode property look-ups were the tokenizer's largest cost (about 8 % of the daemon's CPU in a
    // burst), and for ASCII characters the answers are these (a test compares every ASCII character).

    static func isWordCharacter(_ c: Character) -> Bool {
        if let ascii = c.asciiValue { return isASCIILetter(ascii) || isASCIIDigit(ascii) }
        return c.isLetter || c.isNumber || (c.unicodeScalars.first?.properties.generalCategory.isMark ?? false)
    }

    /// `Character.isLetter`.
    static func isLetter(_ c: Character) -> Bool {
        if let ascii = c.asciiValue { return isASCIILetter(ascii) }
        return c.isLetter
    }

    /// `Character.isNumber`.
    static func isNumber(_ c: Character) -> Bool {
        if let ascii = c.asciiValue { return isASCIIDigit(ascii) }
        return c.isNumber
    }

    private static func isASCIILetter(_ ascii: UInt8) -> Bool { (ascii | 0x20) >= 0x61 && (ascii | 0x20) <= 0x7A }
    private static func isASCIIDigit(_ ascii: UInt8) -> Bool { ascii >= 0x30 && ascii <= 0x39 }

    static func isApostrophe(_ c: Character) -> Bool {
        c == "'" || c == "\u{2019}"
    }

    /// Whitespace, control and format characters, and U+FFFD carry no token of their own.
    static func isSeparator(_ c: Character) -> Bool {
        // ASCII: space and the controls (tab, newlines and the rest), nothing else.
        if let ascii = c.asciiValue { return ascii <= 0x20 || ascii == 0x7F }
        if c.isWhitespace { return true }
        return c.unicodeScalars.allSatisfy { scalar in
            scalar == "\u{FFFD}" || scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .format
        }
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isMark: Bool {
        self == .nonspacingMark || self == .spacingMark || self == .enclosingMark
    }
}
