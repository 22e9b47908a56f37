import Foundation
import STMText
import Testing

@Suite struct BytePairEncodingTests {
    static let corpus = [
        "A man is riding a bike.", "A woman is riding a horse.", "Ein Mann fährt Fahrrad.", "Eine Frau reitet ein Pferd.",
        "The riders are riding 2 bikes.", "Die Reiter fahren 2 Fahrräder.",
    ]

    @Test func pretokenizerMarksChunkStartsAndSplitsPunctuation() {
        #expect(SubwordPretokenizer.pieces(of: "A dog's  ball.") == ["▁A", "▁dog", "'", "s", "▁ball", "."])
        #expect(SubwordPretokenizer.pieces(of: "  ") == [])
    }

    @Test func learnsFrequentPairsFirstAndRoundTrips() {
        let bpe = BytePairEncoding.learn(from: Self.corpus, mergeCount: 60)
        // This small corpus runs out of pairs seen twice before 60 merges; learning stops there, and then no
        // adjacent pair of the encoded corpus (within a piece) occurs twice.
        #expect(bpe.merges.count > 20 && bpe.merges.count < 60)
        var pairs: [[Int]: Int] = [:]
        for line in Self.corpus {
            for piece in SubwordPretokenizer.pieces(of: line) {
                let ids = bpe.encodePiece(piece)
                for (a, b) in zip(ids, ids.dropFirst()) { pairs[[a, b], default: 0] += 1 }
            }
        }
        #expect(pairs.values.allSatisfy { $0 < 2 }, "\(pairs.filter { $0.value > 1 }.map { (bpe.tokens[$0.key[0]], bpe.tokens[$0.key[1]], $0.value) })")
        #expect(BytePairEncoding.learn(from: Self.corpus, mergeCount: 10).merges.count == 10)
        // "▁riding" occurs three times; after enough merges it is one token.
        #expect(bpe.tokenize("riding") == ["▁riding"])
        for line in Self.corpus { #expect(bpe.decode(bpe.encode(line)) == line) }
    }

    @Test func isDeterministic() {
        let first = BytePairEncoding.learn(from: Self.corpus, mergeCount: 40)
        let second = BytePairEncoding.learn(from: Self.corpus.shuffled(), mergeCount: 40)
        #expect(first == second)
    }

    @Test func unseenCharactersFallBackToBytesNotUnknown() {
        let bpe = BytePairEncoding.learn(from: Self.corpus, mergeCount: 30)
        let text = "Zoë riding ñandú 🚲 naïve"
        let ids = bpe.encode(text)
        #expect(!ids.contains(BytePairEncoding.unknownID))
        #expect(bpe.tokenize("🚲").contains("<0xF0>"))
        #expect(bpe.decode(ids) == text)
    }

    @Test func survivesJSONRoundTrip() throws {
        let bpe = BytePairEncoding.learn(from: Self.corpus, mergeCount: 50)
        let decoded = try JSONDecoder().decode(BytePairEncoding.self, from: JSONEncoder().encode(bpe))
        #expect(decoded == bpe)
        #expect(decoded.encode("A man is riding.") == bpe.encode("A man is riding."))
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(BytePairEncoding.self, from: Data(#"{"tokens":["x"],"merges":[]}"#.utf8))
        }
    }
}
