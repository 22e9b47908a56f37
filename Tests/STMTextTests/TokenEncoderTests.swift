import STMText
import Testing

struct TokenEncoderTests {
    let vocabulary = Vocabulary(
        counts: ["it": 3, "'s": 3, "a": 2, "film": 2, "n't": 1, "does": 1, ".": 4],
        specials: WordTokenizer.placeholderTokens)

    @Test func knownTokensHaveNoBuckets() throws {
        let hasher = SubwordHasher(bucketCount: 100, offset: vocabulary.count)
        let encoder = TokenEncoder(vocabulary: vocabulary, hasher: hasher)
        let encoded = encoder.encode("It's a FILM&#39;s… see www.x.org")
        // NFKC turns "…" into "...", entities decode before tokenising, and case folds.
        #expect(encoded.map(\.token) == ["it", "'s", "a", "film", "'s", ".", ".", ".", "see", "<url>"])
        let known = encoded.filter(\.isKnown)
        #expect(known.allSatisfy { $0.buckets.isEmpty })
        let see = try #require(encoded.first { $0.token == "see" })
        #expect(see.id == Vocabulary.unknownID)
        #expect(see.buckets == hasher.buckets(for: "see"))
        #expect(see.buckets.allSatisfy { $0 >= vocabulary.count && $0 < vocabulary.count + 100 })
        #expect(
            encoder.ids("it doesn't") == [
                vocabulary.id(for: "it"), vocabulary.id(for: "does"), vocabulary.id(for: "n't"),
            ])
    }

    @Test func emptyTextEncodesToNothing() {
        let encoder = TokenEncoder(vocabulary: vocabulary)
        #expect(encoder.encode("").isEmpty)
        #expect(encoder.ids(" \n\t ").isEmpty)
        #expect(encoder.encode("zzz").first?.buckets == [])
    }
}
