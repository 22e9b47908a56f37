import STMText
import Testing

struct TextNormalizerTests {
    let normalizer = TextNormalizer()

    @Test func compatibilityMappingUnfoldsLigaturesAndFullWidthForms() {
        #expect(normalizer.normalize("ﬁnancial") == "financial")
        #expect(normalizer.normalize("１２３ＡＢＣ") == "123abc")
        #expect(normalizer.normalize("e\u{0301}") == "é")  // composed
    }

    @Test func caseFoldingIgnoresLocale() {
        #expect(normalizer.normalize("Wall STREET Istanbul") == "wall street istanbul")
        #expect(TextNormalizer(foldsCase: false).normalize("Wall") == "Wall")
    }

    @Test func namedAndNumericEntitiesDecode() {
        #expect(normalizer.normalize("AT&amp;T &lt;b&gt; &quot;hi&quot; it&apos;s") == "at&t <b> \"hi\" it's")
        #expect(normalizer.normalize("it&#39;s it&#x27;s it&#X27;s") == "it's it's it's")
        #expect(normalizer.normalize("a&nbsp;b") == "a b")  // U+00A0 becomes a space under NFKC
        #expect(TextNormalizer.decodeEntities(in: "up&#151;down") == "up\u{2014}down")  // Windows-1252 range
        #expect(TextNormalizer.decodeEntities(in: "&#0; &#xD800; &#99999999;") == "\u{FFFD} \u{FFFD} &#99999999;")
    }

    @Test func agNewsBrokenEntitiesDecode() {
        let line =
            "It #39;s over. Our relationship just hasn #39;t been working, says Wall Street #39;s band for  #36;5"
        #expect(
            TextNormalizer.decodeEntities(in: line)
                == "It's over. Our relationship just hasn't been working, says Wall Street's band for $5")
        #expect(TextNormalizer.decodeEntities(in: "#39;s") == "'s")
    }

    @Test func malformedReferencesStayVerbatim() {
        let inputs = [
            "&", "&;", "&unknown;", "&amp", "& amp;", "#39", " #;", "&#;", "&#x;", "a #1 pick", "&#12345678901234;",
        ]
        for input in inputs {
            #expect(TextNormalizer.decodeEntities(in: input) == input, "\(input)")
        }
    }

    @Test func emptyAndInvalidInputPassesThrough() {
        #expect(normalizer.normalize("") == "")
        #expect(normalizer.normalize("\u{FFFD}\u{0000}\u{0007}") == "\u{FFFD}\u{0000}\u{0007}")
    }
}
