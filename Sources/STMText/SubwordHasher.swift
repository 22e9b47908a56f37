/// fastText-style character n-gram buckets, so a model can embed an unknown word as the mean of its
/// n-gram vectors instead of one shared `<unk>` vector.
///
/// The word is wrapped as `<word>`; every run of `ngramLengths` Unicode scalars is hashed over its UTF-8 bytes
/// with 32-bit FNV-1a (never Swift's seeded `hashValue`), so bucket ids are identical across runs and platforms.
/// Bucket ids start at `offset` (normally `vocabulary.count`): rows after the vocabulary in one embedding table.
public struct SubwordHasher: Sendable, Hashable, Codable {
    public let bucketCount: Int
    public let offset: Int
    public let ngramLengths: ClosedRange<Int>

    public init(bucketCount: Int, offset: Int, ngramLengths: ClosedRange<Int> = 3...5) {
        precondition(
            bucketCount > 0 && bucketCount <= Int(UInt32.max),
            "SubwordHasher: bucketCount \(bucketCount) must be in 1...\(UInt32.max)")
        precondition(offset >= 0, "SubwordHasher: offset \(offset) must not be negative")
        precondition(
            ngramLengths.lowerBound >= 1, "SubwordHasher: n-gram lengths \(ngramLengths) must start at 1 or more")
        self.bucketCount = bucketCount
        self.offset = offset
        self.ngramLengths = ngramLengths
    }

    /// Bucket ids in `offset ..< offset + bucketCount`, one per n-gram in order of start then length
    /// (duplicates kept, as fastText does). Empty only for the empty token.
    public func buckets(for token: String) -> [Int] {
        guard !token.isEmpty else { return [] }
        let scalars: [Unicode.Scalar] = ["<"] + Array(token.unicodeScalars) + [">"]
        var result: [Int] = []
        result.reserveCapacity(scalars.count * ngramLengths.count)
        var bytes: [UInt8] = []
        for start in scalars.indices {
            for length in ngramLengths where start + length <= scalars.count {
                bytes.removeAll(keepingCapacity: true)
                for scalar in scalars[start..<(start + length)] { bytes.append(contentsOf: scalar.utf8) }
                result.append(offset + Int(Self.fnv1a(bytes) % UInt32(truncatingIfNeeded: bucketCount)))
            }
        }
        return result
    }

    /// 32-bit FNV-1a: offset basis 2166136261, prime 16777619.
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
