public import STMTensor

/// A lookup table: token ids `[N]` → rows `[N, dimension]`. Backward scatters into the rows that were read.
public struct Embedding: Sendable {
    public let vocabularySize: Int
    public let dimension: Int

    public init(vocabularySize: Int, dimension: Int) {
        self.vocabularySize = vocabularySize
        self.dimension = dimension
    }

    /// Keys: `weight` `[vocabularySize, dimension]` (PyTorch `nn.Embedding.weight`).
    public struct Parameters: ParameterGroup {
        public var weight: Tensor

        public init(weight: Tensor) { self.weight = weight }

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try body(prefix + "weight", &weight)
        }
    }

    /// Standard normal, as PyTorch.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        Parameters(weight: .normal([vocabularySize, dimension], using: &generator))
    }

    public func forward(_ ids: [Int], parameters: Parameters) -> Tensor {
        var out = Tensor.zeros([ids.count, dimension])
        parameters.weight.scalars.withUnsafeBufferPointer { table in
            out.scalars.withUnsafeMutableBufferPointer { rows in
                for (row, id) in ids.enumerated() {
                    precondition(id >= 0 && id < vocabularySize, "Embedding.forward: id \(id) outside 0..<\(vocabularySize)")
                    for d in 0..<dimension { rows[row * dimension + d] = table[id * dimension + d] }
                }
            }
        }
        return out
    }

    /// Adds each row of `dOutput` to the gradient row of the id it came from (ids may repeat).
    public func backward(dOutput: Tensor, ids: [Int], gradients: inout Parameters) {
        precondition(dOutput.shape == [ids.count, dimension], "Embedding.backward: dOutput \(dOutput.shape)")
        gradients.weight.scalars.withUnsafeMutableBufferPointer { table in
            dOutput.scalars.withUnsafeBufferPointer { rows in
                for (row, id) in ids.enumerated() {
                    for d in 0..<dimension { table[id * dimension + d] += rows[row * dimension + d] }
                }
            }
        }
    }
}
