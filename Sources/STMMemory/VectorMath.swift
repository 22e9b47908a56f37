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
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return 0 }
        var sum: Float = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for index in 0..<a.count { sum += a[index] * b[index] }
            }
        }
        return sum
    }
}
