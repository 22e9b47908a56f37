public import STMTensor

/// A lookup table whose every output row is the mean of several rows: a token's word row together with the
/// rows of its character n-gram buckets (fastText's subword vectors), so an unknown word still gets a vector
/// built from its pieces. Rows `[0, vocabularySize)` are words, the rest hash buckets.
public struct EmbeddingBag: Sendable {
    public let rowCount: Int
    public let dimension: Int

    public init(rowCount: Int, dimension: Int) {
        self.rowCount = rowCount
        self.dimension = dimension
    }

    /// The same keys and layout as `Embedding` (`weight` `[rowCount, dimension]`).
    public typealias Parameters = Embedding.Parameters

    /// Standard normal, as `Embedding` (and PyTorch): a token vector is the mean of its word row and its n-gram
    /// rows, so it starts at about 1/√(rows averaged) per element — small enough, where a smaller init would
    /// leave the mean of ~15 rows too faint to learn from quickly.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        Parameters(weight: .normal([rowCount, dimension], using: &generator))
    }

    /// `[bags.count, dimension]`: the mean of each bag's rows (a zero row for an empty bag).
    public func forward(_ bags: [[Int]], parameters: Parameters) -> Tensor {
        EmbeddingTable(float32: parameters.weight).bagMeans(bags)
    }

    /// Spreads each output row's gradient evenly over the rows its bag read (ids may repeat).
    public func backward(dOutput: Tensor, bags: [[Int]], gradients: inout Parameters) {
        precondition(dOutput.shape == [bags.count, dimension], "EmbeddingBag.backward: dOutput \(dOutput.shape)")
        gradients.weight.scalars.withUnsafeMutableBufferPointer { table in
            dOutput.scalars.withUnsafeBufferPointer { rows in
                for (row, bag) in bags.enumerated() where !bag.isEmpty {
                    let scale = 1 / Float(bag.count)
                    for id in bag {
                        for d in 0..<dimension { table[id * dimension + d] += scale * rows[row * dimension + d] }
                    }
                }
            }
        }
    }
}
