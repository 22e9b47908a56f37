/// A sentence and where it sits in the original string.
public struct Sentence: Sendable, Hashable {
    /// The sentence, trimmed of surrounding whitespace.
    public var text: String
    /// The trimmed sentence's range in the string that was split.
    public var range: Range<String.Index>

    public init(text: String, range: Range<String.Index>) {
        self.text = text
        self.range = range
    }
}

/// Rule-based sentence splitter for news articles and reviews (extractive summaries pick whole sentences).
///
/// A sentence ends at a run of `.`, `!`, `?`, `…` (with any closing quotes or brackets kept) followed by
/// whitespace and then an upper-case letter, digit, opening quote or bracket; or by whitespace holding a line
/// break; or by the end of the text. A blank line always ends a sentence (titles and paragraphs). A lone `.`
/// after a known abbreviation (`Mr.`, `U.S.`, `Jan.`) or a single initial (`J. Smith`) does not end one;
/// decimals (`3.5`) never do since no space follows the dot.
public struct SentenceSplitter: Sendable, Hashable {
    /// Also split where a terminator is glued to an upper-case letter (`profit.Shares`), as in the BBC
    /// reference summaries, which concatenate sentences without separators.
    public var splitsMissingSpaces: Bool
    /// Abbreviations without their final dot, matched exactly or with the first letter capitalised.
    public var abbreviations: Set<String>

    public static let defaultAbbreviations: Set<String> = [
        "Mr", "Mrs", "Ms", "Dr", "Prof", "Inc", "Ltd", "Co", "Corp", "St", "Jr", "Sr", "vs", "etc", "e.g", "i.e",
        "U.S", "U.K", "U.N", "E.U", "a.m", "p.m", "No", "Nos", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
        "Sep", "Sept", "Oct", "Nov", "Dec", "Gen", "Gov", "Sen", "Rep", "Rev", "Mt", "Ft", "Fig", "fig", "approx",
        "Dept", "est", "vol", "Vol", "cf", "al", "Col", "Lt", "Sgt", "Capt", "Maj", "Adm", "Bros", "Messrs", "Mme",
        "Mlle", "Hon", "Pres", "Rt", "Ave", "Blvd", "ca",
    ]

    public init(splitsMissingSpaces: Bool = false, abbreviations: Set<String> = Self.defaultAbbreviations) {
        self.splitsMissingSpaces = splitsMissingSpaces
        self.abbreviations = abbreviations
    }

    public func sentences(in text: String) -> [Sentence] {
        let chars = Array(text)
        var indices = Array(text.indices)
        indices.append(text.endIndex)
        // quotesBefore[k]: straight double quotes in chars[..<k], so quote parity per sentence costs O(1).
        var quotesBefore = [0]
        quotesBefore.reserveCapacity(chars.count + 1)
        for c in chars { quotesBefore.append(quotesBefore[quotesBefore.count - 1] + (c == "\"" ? 1 : 0)) }
        var sentences: [Sentence] = []
        var start = 0
        var i = 0
        func emit(upTo end: Int) {
            var lower = start
            var upper = end
            while lower < upper, chars[lower].isWhitespace { lower += 1 }
            while upper > lower, chars[upper - 1].isWhitespace { upper -= 1 }
            if lower < upper {
                let range = indices[lower]..<indices[upper]
                sentences.append(Sentence(text: String(text[range]), range: range))
            }
            start = end
        }
        while i < chars.count {
            let c = chars[i]
            if c.isNewline {
                var j = i + 1
                while j < chars.count, chars[j].isWhitespace, !chars[j].isNewline { j += 1 }
                if j < chars.count, chars[j].isNewline {
                    emit(upTo: i)
                    i = j
                    continue
                }
                i += 1
                continue
            }
            guard Self.isTerminator(c) else {
                i += 1
                continue
            }
            var end = i
            while end < chars.count, Self.isTerminator(chars[end]) { end += 1 }
            let runLength = end - i
            // A straight `"` closes if the sentence has an open one or whitespace follows it (a quote opened
            // sentences ago); otherwise it opens the next sentence (`months."I think` in the glued summaries).
            var quoteIsOpen = !(quotesBefore[i] - quotesBefore[start]).isMultiple(of: 2)
            while end < chars.count, Self.isCloser(chars[end]) {
                if chars[end] == "\"" {
                    let spaceFollows = end + 1 == chars.count || chars[end + 1].isWhitespace
                    guard quoteIsOpen || spaceFollows else { break }
                    quoteIsOpen = false
                }
                end += 1
            }
            if endsSentence(chars, terminatorAt: i, runLength: runLength, end: end) {
                emit(upTo: end)
            }
            i = end
        }
        emit(upTo: chars.count)
        return sentences
    }

    /// Whether the terminator run at `position` (closers included up to `end`) ends the sentence.
    private func endsSentence(_ chars: [Character], terminatorAt position: Int, runLength: Int, end: Int) -> Bool {
        guard end < chars.count else { return true }
        var next = end
        var sawNewline = false
        while next < chars.count, chars[next].isWhitespace {
            sawNewline = sawNewline || chars[next].isNewline
            next += 1
        }
        if next == chars.count { return true }
        let glued = next == end
        if glued && !(splitsMissingSpaces && (chars[next].isUppercase || Self.isOpener(chars[next]))) { return false }
        if runLength == 1, chars[position] == ".", isAbbreviation(chars, dotAt: position) { return false }
        if sawNewline { return true }
        let first = chars[next]
        return first.isUppercase || first.isNumber || Self.isOpener(first)
    }

    /// The word before the dot (letters and inner dots): a listed abbreviation or a single upper-case initial.
    private func isAbbreviation(_ chars: [Character], dotAt position: Int) -> Bool {
        var start = position
        while start > 0, chars[start - 1].isLetter || chars[start - 1] == "." { start -= 1 }
        guard start < position else { return false }
        let word = String(chars[start..<position])
        if word.count == 1 { return chars[start].isUppercase }
        if abbreviations.contains(word) { return true }
        let decapitalised = word.prefix(1).lowercased() + word.dropFirst()
        return abbreviations.contains(decapitalised)
    }

    static func isTerminator(_ c: Character) -> Bool {
        c == "." || c == "!" || c == "?" || c == "\u{2026}"
    }

    static func isCloser(_ c: Character) -> Bool {
        "\"')]}\u{201D}\u{2019}\u{00BB}".contains(c)
    }

    static func isOpener(_ c: Character) -> Bool {
        "\"'([{\u{201C}\u{2018}\u{00AB}".contains(c)
    }
}
