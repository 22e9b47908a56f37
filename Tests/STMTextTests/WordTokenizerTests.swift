import Testing

@testable import STMText

struct WordTokenizerTests {
    let tokenizer = WordTokenizer()

    @Test func punctuationBecomesSeparateTokens() {
        #expect(
            tokenizer.tokens(in: "Hello, world! (Really?)") == ["Hello", ",", "world", "!", "(", "Really", "?", ")"])
        #expect(tokenizer.tokens(in: "wait...") == ["wait", ".", ".", "."])
        #expect(tokenizer.tokens(in: "a well-made, one-off film") == ["a", "well-made", ",", "one-off", "film"])
        #expect(tokenizer.tokens(in: "end -- start") == ["end", "-", "-", "start"])
    }

    @Test func numbersStayWhole() {
        #expect(tokenizer.tokens(in: "rose 3.5% to $1,000.25.") == ["rose", "3.5", "%", "to", "$", "1,000.25", "."])
        #expect(tokenizer.tokens(in: "in 2004, 7 times") == ["in", "2004", ",", "7", "times"])
        #expect(tokenizer.tokens(in: "$1.13bn the 5th") == ["$", "1.13bn", "the", "5th"])
        let mapping = WordTokenizer(mapsNumbers: true)
        #expect(mapping.tokens(in: "3.5 and 1,000 and 5th") == ["<num>", "and", "<num>", "and", "5th"])
    }

    @Test func urlsAndEmailsAreKeptOrMapped() {
        let text = "See https://example.com/a?b=c, www.bbc.co.uk. Mail john.smith@example.co.uk."
        #expect(tokenizer.tokens(in: text) == ["See", "<url>", ",", "<url>", ".", "Mail", "<email>", "."])
        let raw = WordTokenizer(mapsURLs: false, mapsEmails: false)
        #expect(
            raw.tokens(in: text)
                == [
                    "See", "https://example.com/a?b=c", ",", "www.bbc.co.uk", ".", "Mail", "john.smith@example.co.uk",
                    ".",
                ])
        #expect(raw.tokens(in: "(http://x.org)") == ["(", "http://x.org", ")"])
        #expect(
            tokenizer.tokens(in: "a@b and @user and http:// alone") == [
                "a", "@", "b", "and", "@", "user", "and", "http", ":", "/", "/", "alone",
            ])
    }

    @Test(arguments: [
        ("doesn't", ["does", "n't"]), ("does n't", ["does", "n't"]), ("it's", ["it", "'s"]), ("it 's", ["it", "'s"]),
        ("can't", ["ca", "n't"]), ("won't", ["wo", "n't"]), ("I'm", ["I", "'m"]), ("they're", ["they", "'re"]),
        ("we've", ["we", "'ve"]), ("you'll", ["you", "'ll"]), ("he'd", ["he", "'d"]), ("film's", ["film", "'s"]),
        ("doesn\u{2019}t", ["does", "n't"]), ("it\u{2019}s", ["it", "'s"]), ("o'clock", ["o'clock"]),
        ("O'Brien", ["O'Brien"]), ("students'", ["students", "'"]), ("'quoted'", ["'", "quoted", "'"]),
    ])
    func contractionsMatchSSTTokenisation(input: String, expected: [String]) {
        #expect(tokenizer.tokens(in: input) == expected)
    }

    @Test func sstSentenceRoundTrips() {
        let sst = "it 's a charming and often affecting journey , but it does n't quite work ."
        let raw = "it's a charming and often affecting journey, but it doesn't quite work."
        #expect(tokenizer.tokens(in: raw) == sst.split(separator: " ").map(String.init))
        #expect(tokenizer.tokens(in: sst) == sst.split(separator: " ").map(String.init))
    }

    @Test func emojiAndOtherScriptsAreTotal() {
        #expect(tokenizer.tokens(in: "great 👍🏽 film👨‍👩‍👧!") == ["great", "👍🏽", "film", "👨‍👩‍👧", "!"])
        #expect(tokenizer.tokens(in: "naïve café Zürich") == ["naïve", "café", "Zürich"])
        #expect(tokenizer.tokens(in: "東京 2020") == ["東京", "2020"])
    }

    @Test func emptyWhitespaceAndControlInputs() {
        #expect(tokenizer.tokens(in: "") == [])
        #expect(tokenizer.tokens(in: " \t\n\r\n  ") == [])
        #expect(tokenizer.tokens(in: "a\u{0000}b\u{0007}c\u{200B}d") == ["a", "b", "c", "d"])
        #expect(tokenizer.tokens(in: "caf\u{FFFD} \u{FFFD}\u{FFFD} ok") == ["caf", "ok"])
        #expect(tokenizer.tokens(in: "'") == ["'"])
        #expect(tokenizer.tokens(in: "n'") == ["n", "'"])
        #expect(tokenizer.tokens(in: "1.") == ["1", "."])
        #expect(tokenizer.tokens(in: "x@") == ["x", "@"])
        #expect(tokenizer.tokens(in: "\u{0301}") == ["\u{0301}"])
    }

    @Test func megabyteOfAdversarialTextTokenises() {
        // Long runs that stress the look-aheads: dotted words (e-mail scan), digits with separators, apostrophes.
        let pieces = ["a.b.c.d.e.", "1,2.3,4.", "n't 's ''", "x@y@z.", "http://q.r/", "www. ", "🙂\u{FFFD}\u{0000} "]
        var text = ""
        while text.utf8.count < 1_000_000 { text += pieces.joined() }
        let tokens = tokenizer.tokens(in: text)
        #expect(tokens.count > 100_000)
        #expect(!tokens.contains(""))
        let oneWord = String(repeating: "ab.", count: 300_000)
        #expect(tokenizer.tokens(in: oneWord).count == 600_000)
    }

    /// The ASCII fast paths answer exactly what the Unicode properties answer, for every ASCII character and the
    /// one ASCII grapheme of two scalars (CR LF); other characters take the Unicode path itself.
    @Test func asciiFastPathsAgreeWithUnicodeProperties() {
        var characters = (0...127).map { Character(Unicode.Scalar(UInt8($0))) }
        characters.append("\r\n")
        for c in characters {
            let category = c.unicodeScalars.first!.properties.generalCategory
            let mark = category == .nonspacingMark || category == .spacingMark || category == .enclosingMark
            #expect(WordTokenizer.isLetter(c) == c.isLetter, "\(c.unicodeScalars.map(\.value))")
            #expect(WordTokenizer.isNumber(c) == c.isNumber, "\(c.unicodeScalars.map(\.value))")
            #expect(WordTokenizer.isWordCharacter(c) == (c.isLetter || c.isNumber || mark), "\(c.unicodeScalars.map(\.value))")
            let separator = c.isWhitespace || c.unicodeScalars.allSatisfy {
                $0 == "\u{FFFD}" || $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
            }
            #expect(WordTokenizer.isSeparator(c) == separator, "\(c.unicodeScalars.map(\.value))")
        }
        // Beyond ASCII the properties decide: a letter with an accent, a superscript two, a no-break space.
        #expect(WordTokenizer.isLetter("é") && WordTokenizer.isNumber("²") && WordTokenizer.isSeparator("\u{00A0}"))
        #expect(tokenizer.tokens(in: "Café\u{00A0}au lait, 3.5 l") == ["Café", "au", "lait", ",", "3.5", "l"])
    }
}
