/// Elementwise arithmetic. Mutating forms work in place on a uniquely held buffer; the operators build a new tensor.
extension Tensor {
    public mutating func scale(by factor: Float) {
        scalars.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] *= factor }
        }
    }

    /// `self += factor · other` (BLAS axpy).
    public mutating func add(_ other: Tensor, scaledBy factor: Float = 1) {
        precondition(count == other.count, "Tensor.add: \(shape) and \(other.shape)")
        scalars.withUnsafeMutableBufferPointer { p in
            other.scalars.withUnsafeBufferPointer { q in
                for i in p.indices { p[i] += factor * q[i] }
            }
        }
    }

    /// `self *= other`, elementwise.
    public mutating func multiply(by other: Tensor) {
        precondition(count == other.count, "Tensor.multiply: \(shape) and \(other.shape)")
        scalars.withUnsafeMutableBufferPointer { p in
            other.scalars.withUnsafeBufferPointer { q in
                for i in p.indices { p[i] *= q[i] }
            }
        }
    }

    /// Adds the vector `bias` (length `columnCount`) to every row.
    public mutating func addRowVector(_ bias: Tensor) {
        let columns = columnCount
        precondition(bias.count == columns, "Tensor.addRowVector: bias \(bias.shape) for rows of \(columns)")
        scalars.withUnsafeMutableBufferPointer { p in
            bias.scalars.withUnsafeBufferPointer { b in
                for r in 0..<(p.count / max(columns, 1)) {
                    let base = r * columns
                    for c in 0..<columns { p[base + c] += b[c] }
                }
            }
        }
    }

    /// Sum over rows: `[n, c] → [c]`. The gradient of `addRowVector` with respect to the bias.
    public func sumRows() -> Tensor {
        let columns = columnCount
        var out = [Float](repeating: 0, count: columns)
        let rows = rowCount
        scalars.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { sums in
                // Columns in blocks that stay in registers while every row streams past, so the sum vectorises
                // and the tensor is read once; each column is still summed in row order.
                let block = 64
                for start in stride(from: 0, to: columns, by: block) {
                    let end = min(columns, start + block)
                    for r in 0..<rows {
                        let base = r * columns
                        for c in start..<end { sums[c] += p[base + c] }
                    }
                }
            }
        }
        return Tensor(shape: [columns], scalars: out)
    }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Double {
        var total = 0.0
        for value in scalars { total += Double(value) }
        return total
    }

    /// Σ x², accumulated in Double (for gradient norms).
    public func sumOfSquares() -> Double {
        scalars.withUnsafeBufferPointer { FusedKernels.sumOfSquares($0.baseAddress!, count: $0.count) }
    }

    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, scalars: scalars.map(transform))
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.add(rhs)
        return out
    }

    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.add(rhs, scaledBy: -1)
        return out
    }

    /// Elementwise (Hadamard) product.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.multiply(by: rhs)
        return out
    }

    public static func * (lhs: Float, rhs: Tensor) -> Tensor {
        var out = rhs
        out.scale(by: lhs)
        return out
    }

    /// Largest absolute elementwise difference; for tests and tolerance reports.
    public func maxAbsoluteDifference(_ other: Tensor) -> Float {
        precondition(count == other.count, "Tensor.maxAbsoluteDifference: \(shape) and \(other.shape)")
        var worst: Float = 0
        for i in 0..<count { worst = Swift.max(worst, abs(scalars[i] - other.scalars[i])) }
        return worst
    }
}
