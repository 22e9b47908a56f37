import Foundation
import STMText
import Testing

struct VocabularyTests {
    let counts = ["the": 10, "film": 5, "good": 5, "bad": 5, "rare": 1, "odd": 2]

    @Test func reservesPaddingAndUnknown() {
        let vocabulary = Vocabulary(counts: counts)
        #expect(vocabulary.token(for: 0) == "<pad>")
        #expect(vocabulary.token(for: 1) == "<unk>")
        #expect(vocabulary.id(for: "<pad>") == Vocabulary.paddingID)
        #expect(vocabulary.id(for: "never-seen") == Vocabulary.unknownID)
        #expect(vocabulary.token(for: -1) == nil)
        #expect(vocabulary.token(for: vocabulary.count) == nil)
        #expect(vocabulary.count == 8)
    }

    @Test func ordersByCountThenTokenDeterministically() {
        let vocabulary = Vocabulary(counts: counts)
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "the", "bad", "film", "good", "odd", "rare"])
        // Same counts in a different dictionary insertion order: same ids.
        let shuffled = Dictionary(uniqueKeysWithValues: counts.sorted { $0.key > $1.key })
        #expect(Vocabulary(counts: shuffled) == vocabulary)
    }

    @Test func minimumCountAndMaximumSizeTrim() {
        #expect(
            Vocabulary(counts: counts, minimumCount: 2).tokens == [
                "<pad>", "<unk>", "the", "bad", "film", "good", "odd",
            ])
        let capped = Vocabulary(counts: counts, minimumCount: 1, maximumSize: 4)
        #expect(capped.tokens == ["<pad>", "<unk>", "the", "bad"])
        #expect(capped.id(for: "good") == Vocabulary.unknownID)
        #expect(Vocabulary(counts: counts, maximumSize: 2).tokens == ["<pad>", "<unk>"])
    }

    @Test func extraSpecialsFollowTheReservedIDs() {
        let counts = ["<url>": 100, "word": 3]
        let vocabulary = Vocabulary(counts: counts, specials: WordTokenizer.placeholderTokens + ["<unk>"])
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "<url>", "<email>", "<num>", "word"])
        #expect(vocabulary.specials == ["<url>", "<email>", "<num>"])
    }

    @Test func countsOfDocuments() {
        let counts = Vocabulary.counts(of: [["a", "b"], ["a"], []])
        #expect(counts == ["a": 2, "b": 1])
    }

    @Test func codableRoundTripIsExact() throws {
        let vocabulary = Vocabulary(counts: counts, minimumCount: 2, maximumSize: 6, specials: ["<url>"])
        let data = try JSONEncoder().encode(vocabulary)
        let decoded = try JSONDecoder().decode(Vocabulary.self, from: data)
        #expect(decoded == vocabulary)
        #expect(decoded.id(for: "bad") == vocabulary.id(for: "bad"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["tokens"] as? [String] == ["<pad>", "<unk>", "<url>", "the", "bad", "film"])
        #expect(json["maximumSize"] as? Int == 6)
    }

    @Test func decodingRejectsCorruptTables() {
        let missingSpecials = Data(#"{"tokens": ["a", "<unk>"], "minimumCount": 1, "specials": []}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Vocabulary.self, from: missingSpecials) }
        let duplicates = Data(#"{"tokens": ["<pad>", "<unk>", "a", "a"], "minimumCount": 1, "specials": []}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Vocabulary.self, from: duplicates) }
    }
}
