internal import CSTMKernels

/// A dense, row-major float32 tensor with value semantics.
///
/// Storage is a Swift array, so copies are cheap until one side writes (copy-on-write). Kernels reach
/// the memory through `withUnsafeBufferPointer` and friends; nothing here allocates behind the
/// caller's back except the result of a non-mutating operation.
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in \(shape)")
        precondition(
            scalars.count == shape.reduce(1, *),
            "Tensor: \(scalars.count) scalars do not fill shape \(shape)"
        )
        self.shape = shape
        self.scalars = scalars
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

    /// A tensor whose elements are not set: for an output that a kernel or a `beta = 0` GEMM overwrites in
    /// full, so the training step does not pay for zeroing megabytes it is about to write.
    public static func unfilled(_ shape: [Int]) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in \(shape)")
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }

    /// The transpose of a matrix `[rows, columns]` → `[columns, rows]` (copied in cache-sized tiles).
    public func transposed() -> Tensor {
        precondition(rank == 2, "Tensor.transposed: \(shape) is not a matrix")
        let (rows, columns) = (shape[0], shape[1])
        var out = Tensor.unfilled([columns, rows])
        scalars.withUnsafeBufferPointer { source in
            out.scalars.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                stm_transpose(rows, columns, from, to)
            }
        }
        return out
    }

    /// A `[rows, vector.count]` matrix with `vector` in every row (a bias broadcast before a `beta = 1` GEMM).
    public static func repeatingRows(_ vector: Tensor, count rows: Int) -> Tensor {
        let columns = vector.count
        var out = Tensor.unfilled([rows, columns])
        out.scalars.withUnsafeMutableBufferPointer { target in
            vector.scalars.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress else { return }
                for r in 0..<rows { (target.baseAddress! + r * columns).update(from: from, count: columns) }
            }
        }
        return out
    }

    /// A 1-D tensor.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Rows of a matrix, or the product of all leading axes for higher ranks.
    public var rowCount: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
    /// Extent of the last axis.
    public var columnCount: Int { shape.last ?? 1 }

    public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// Element of a matrix.
    public subscript(row: Int, column: Int) -> Float {
        get { scalars[row * columnCount + column] }
        set { scalars[row * columnCount + column] = newValue }
    }

    /// The same elements under another shape.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == scalars.count, "Tensor.reshape: \(shape) to \(newShape)")
        shape = newShape
    }

    /// Rows `range` of the tensor viewed as a matrix `[rowCount, columnCount]` (all leading axes flattened),
    /// as a `[range.count, columnCount]` matrix: time step `t` of a `[T, B, F]` batch is rows `t·B..<(t+1)·B`.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "Tensor.rows: \(range) of \(shape)")
        let columns = columnCount
        return Tensor(
            shape: [range.count, columns],
            scalars: Array(scalars[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Writes `source`'s elements over rows starting at `start`, in the same matrix view as `rows(_:)`.
    public mutating func setRows(startingAt start: Int, from source: Tensor) {
        let offset = start * columnCount
        precondition(
            source.columnCount == columnCount && offset + source.count <= count,
            "Tensor.setRows: \(source.shape) at row \(start) of \(shape)")
        scalars.withUnsafeMutableBufferPointer { dst in
            source.scalars.withUnsafeBufferPointer { src in
                guard let from = src.baseAddress else { return }
                (dst.baseAddress! + offset).update(from: from, count: src.count)
            }
        }
    }

    /// Stacks equally shaped tensors along a new outermost axis.
    public static func stacked(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0]) }
        var all = [Float]()
        all.reserveCapacity(first.count * parts.count)
        for part in parts {
            precondition(part.shape == first.shape, "Tensor.stacked: \(part.shape) vs \(first.shape)")
            all.append(contentsOf: part.scalars)
        }
        return Tensor(shape: [parts.count] + first.shape, scalars: all)
    }

    /// Concatenates matrices `[n, a]` and `[n, b]` into `[n, a + b]` (along the last axis).
    public static func concatenatedColumns(_ left: Tensor, _ right: Tensor) -> Tensor {
        precondition(left.rowCount == right.rowCount, "Tensor.concatenatedColumns: \(left.shape) and \(right.shape)")
        let rows = left.rowCount, a = left.columnCount, b = right.columnCount
        var out = [Float](repeating: 0, count: rows * (a + b))
        for r in 0..<rows {
            for c in 0..<a { out[r * (a + b) + c] = left.scalars[r * a + c] }
            for c in 0..<b { out[r * (a + b) + a + c] = right.scalars[r * b + c] }
        }
        var shape = left.shape
        shape[shape.count - 1] = a + b
        return Tensor(shape: shape, scalars: out)
    }

    /// Splits `[n, a + b]` into `[n, a]` and `[n, b]` along the last axis: the inverse of `concatenatedColumns`.
    public func splitColumns(at a: Int) -> (Tensor, Tensor) {
        let rows = rowCount, total = columnCount, b = total - a
        precondition(a >= 0 && b >= 0, "Tensor.splitColumns: \(a) of \(shape)")
        var left = [Float](repeating: 0, count: rows * a)
        var right = [Float](repeating: 0, count: rows * b)
        for r in 0..<rows {
            for c in 0..<a { left[r * a + c] = scalars[r * total + c] }
            for c in 0..<b { right[r * b + c] = scalars[r * total + a + c] }
        }
        var leftShape = shape, rightShape = shape
        leftShape[shape.count - 1] = a
        rightShape[shape.count - 1] = b
        return (Tensor(shape: leftShape, scalars: left), Tensor(shape: rightShape, scalars: right))
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape): [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
