/// Small vector helpers for the window. Loops in a fixed order, so a result is bit-for-bit the same every run.
enum VectorMath {
    /// `vector / ‖vector‖`, or the vector unchanged when its norm is 0 (or not finite).
    static func unitLength(_ vector: [Float]) -> [Float] {
        var sum: Float = 0
        for value in vector { sum += value * value }
        let norm = sum.squareRoot()
        guard norm > 0, norm.isFinite else { return vector }
        return vector.map { $0 / norm }
    }

    /// The dot product; for unit vectors, their cosine similarity. Vectors of different lengths (a model changed
    /// between two documents) are not comparable: 0.
    ///
    /// Eight running sums (lane i takes the elements i, i + 8, …), added up in one fixed order, then the tail: the
    /// same bits on every run and every CPU, and eight times shorter a dependency chain than one running sum (this
    /// runs against every window entry for every document).
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return 0 }
        let blocks = a.count / 8
        var lanes = SIMD8<Float>()
        var tail: Float = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                if blocks > 0, let left = UnsafeRawPointer(a.baseAddress), let right = UnsafeRawPointer(b.baseAddress) {
                    for block in 0..<blocks {
                        let offset = block * 32  // bytes
                        lanes +=
                            left.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                            * right.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    }
                }
                for index in blocks * 8..<a.count { tail += a[index] * b[index] }
            }
        }
        let quads = lanes.lowHalf + lanes.highHalf
        let pairs = quads.lowHalf + quads.highHalf
        return (pairs[0] + pairs[1]) + tail
    }
}
