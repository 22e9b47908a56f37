import STMMemory
import Testing

/// The window's nearest-neighbour query: best first, ties to the newer entry, at most k — checked against sorting
/// every entry.
struct RollingWindowTests {
    private func entry(_ sequence: Int, _ vector: [Float]) -> MemoryEntry {
        MemoryEntry(
            id: String(sequence), sequence: sequence, name: "d\(sequence).txt", time: Double(sequence), vector: vector,
            labels: [:], sentiment: nil)
    }

    @Test func mostSimilarAgreesWithAFullSort() {
        // Several exact ties (equal vectors), a vector of another length (similarity 0) and a negative one.
        var generator = SystemRandomNumberGenerator()
        let shapes: [[Float]] = [[1, 0], [0, 1], [0.6, 0.8], [0.6, 0.8], [-1, 0], [1, 0, 0], [0.8, 0.6], [1, 0]]
        for trial in 0..<50 {
            let count = trial % 12 + 1
            let entries = (1...count).map { entry($0, shapes.randomElement(using: &generator)!) }
            let window = RollingWindow(capacity: 32, maximumAge: 1e9, entries: entries)
            let query = shapes[trial % 5]
            let sorted = entries.map { candidate -> (Int, Float) in
                (candidate.sequence, candidate.vector.count == query.count ? zip(candidate.vector, query).reduce(0) { $0 + $1.0 * $1.1 } : 0)
            }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }
            for k in [1, 3, 5, 40] {
                let matches = window.mostSimilar(to: query, k: k)
                #expect(matches.map(\.entry.sequence) == sorted.prefix(k).map(\.0), "trial \(trial), k \(k)")
                #expect(matches.map(\.similarity) == sorted.prefix(k).map(\.1))
            }
            #expect(window.mostSimilar(to: query, k: 0).isEmpty)
        }
        #expect(RollingWindow(capacity: 4, maximumAge: 1).mostSimilar(to: [1, 0], k: 3).isEmpty)
    }
}

/// The similarity the window ranks by: the dot product of unit vectors, the same bits every time, close to a plain
/// double-precision sum for every length (full blocks of eight and a tail).
struct VectorDotTests {
    @Test func dotProductsMatchADoublePrecisionSum() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 16, 23, 128, 129] {
            let a = (0..<length).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = (0..<length).map { _ in Float.random(in: -1...1, using: &generator) }
            let exact = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let window = RollingWindow(
                capacity: 2, maximumAge: 1e9,
                entries: [MemoryEntry(id: "a", sequence: 1, name: "a", time: 0, vector: a, labels: [:], sentiment: nil)])
            let first = window.mostSimilar(to: b, k: 1).first?.similarity
            #expect(first != nil)
            #expect(abs(Double(first ?? .nan) - exact) <= 1e-5 * Double(max(length, 1)), "length \(length)")
            #expect(window.mostSimilar(to: b, k: 1).first?.similarity.bitPattern == first?.bitPattern)
            #expect(window.maximumSimilarity(to: b)?.bitPattern == first?.bitPattern)
        }
    }
}
