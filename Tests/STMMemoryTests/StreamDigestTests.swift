import STMMemory
import Testing

/// The rolling digest `stmd memory show` prints: the window's best summary sentences, repeats dropped, oldest first.
struct StreamDigestTests {
    private func entry(_ sequence: Int, _ highlights: [(String, Double)]) -> MemoryEntry {
        MemoryEntry(
            id: String(sequence), sequence: sequence, name: "d\(sequence).txt", time: Double(sequence), vector: [1],
            labels: [:], sentiment: nil, highlights: highlights.map { MemoryHighlight(text: $0.0, score: $0.1) })
    }

    @Test func theBestSentencesWinAndReadInStreamOrder() {
        let entries = [
            entry(1, [("Fares rise by 4% in January.", 0.9), ("Passengers object.", 0.4)]),
            entry(2, []),
            entry(3, [("The strike ends after talks.", 0.8)]),
            entry(4, [("A new station opens in Leeds.", 0.95), ("It cost £40m.", 0.5)]),
        ]
        let digest = StreamDigest(entries: entries, sentences: 3)
        #expect(digest.items.map(\.text) == ["Fares rise by 4% in January.", "The strike ends after talks.", "A new station opens in Leeds."])
        #expect(digest.items.map(\.sequence) == [1, 3, 4])
        #expect(digest.items.map(\.name) == ["d1.txt", "d3.txt", "d4.txt"])
        #expect(StreamDigest(entries: entries, sentences: 10).items.count == 5)
    }

    @Test func aRepeatedStoryIsTakenOnce() {
        let entries = [
            entry(1, [("Rail fares will rise by 4% in January, the industry said.", 0.7)]),
            entry(2, [("Rail fares will rise by 4% in January, the industry body said.", 0.9)]),
            entry(3, [("Snow closes schools across the north.", 0.6)]),
        ]
        let digest = StreamDigest(entries: entries, sentences: 3)
        // The near-copy from document 1 is dropped for the better-scored document 2.
        #expect(digest.items.map(\.sequence) == [2, 3])
    }

    @Test func noSummariesGiveAnEmptyDigest() {
        #expect(StreamDigest(entries: [entry(1, []), entry(2, [])]).items.isEmpty)
        #expect(StreamDigest(entries: []).items.isEmpty)
    }
}
