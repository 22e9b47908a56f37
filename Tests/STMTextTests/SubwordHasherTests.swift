import STMText
import Testing

struct SubwordHasherTests {
    @Test func fnv1aMatchesReferenceVectors() {
        // Published FNV-1a 32-bit test vectors: "" 0x811c9dc5, "a" 0xe40c292c, "foobar" 0xbf9cf968.
        #expect(SubwordHasher.fnv1a([UInt8]()) == 0x811C_9DC5)
        #expect(SubwordHasher.fnv1a(Array("a".utf8)) == 0xE40C_292C)
        #expect(SubwordHasher.fnv1a(Array("foobar".utf8)) == 0xBF9C_F968)
    }

    /// Expected ids from an independent Python FNV-1a over the UTF-8 of each n-gram of "<word>", n in 3...5,
    /// ordered by start then length, `offset + hash % bucketCount`.
    @Test func bucketsMatchHandComputedValues() {
        let hasher = SubwordHasher(bucketCount: 1000, offset: 100)
        #expect(hasher.buckets(for: "cat") == [847, 1073, 237, 131, 1095, 206])
        let unshifted = SubwordHasher(bucketCount: 1000, offset: 0)
        #expect(unshifted.buckets(for: "naïve") == [890, 996, 142, 130, 852, 683, 72, 327, 715, 82, 532, 654])
        #expect(SubwordHasher(bucketCount: 7, offset: 10).buckets(for: "a") == [12])
    }

    @Test func bucketsStayInRangeAndAreTotal() {
        let hasher = SubwordHasher(bucketCount: 50, offset: 20)
        for token in ["", "x", "👨‍👩‍👧", "\u{FFFD}\u{0000}", String(repeating: "long", count: 500)] {
            let buckets = hasher.buckets(for: token)
            #expect(buckets.allSatisfy { (20..<70).contains($0) }, "\(token)")
            #expect(buckets == hasher.buckets(for: token))
        }
        #expect(hasher.buckets(for: "").isEmpty)
    }
}
