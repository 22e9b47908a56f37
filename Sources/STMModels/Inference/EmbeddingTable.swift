public import STMTensor

/// An embedding table for inference: bfloat16 when every weight is exactly a bfloat16 (a table loaded from a BF16
/// bundle), which halves its memory and the bytes each lookup reads and gives the same sums bit for bit (a
/// bfloat16 widens to its float32 exactly); float32 otherwise (a model just trained, an F32 or F16 bundle).
public struct EmbeddingTable: Sendable {
    public let rowCount: Int
    public let dimension: Int
    private let storage: Storage

    private enum Storage: Sendable {
        case f32([Float])
        case bf16([UInt16])
    }

    public init(_ weight: Tensor) {
        rowCount = weight.rowCount
        dimension = weight.columnCount
        let exact = weight.scalars.allSatisfy { $0.bitPattern & 0xFFFF == 0 }
        storage = exact ? .bf16(weight.scalars.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }) : .f32(weight.scalars)
    }

    /// The table as float32 whatever its values (no copy: it shares `weight`'s storage), for the training path.
    init(float32 weight: Tensor) {
        rowCount = weight.rowCount
        dimension = weight.columnCount
        storage = .f32(weight.scalars)
    }

    /// Whether the table is held as bfloat16.
    public var isBFloat16: Bool {
        if case .bf16 = storage { return true }
        return false
    }

    /// `[bags.count, dimension]`: each bag's mean row, summed in the order and with the operations of
    /// `EmbeddingBag.forward` (so the result is the same bits).
    public func bagMeans(_ bags: [[Int]]) -> Tensor {
        switch storage {
        case .f32(let table): table.withUnsafeBufferPointer { bagMeans(bags, table: $0) { $0 } }
        case .bf16(let table): table.withUnsafeBufferPointer { bagMeans(bags, table: $0) { Float(bitPattern: UInt32($0) << 16) } }
        }
    }

    /// The row sums over a table of `Element`s, each widened to float32 (exactly) as it is read.
    @inline(__always)
    private func bagMeans<Element>(
        _ bags: [[Int]], table: UnsafeBufferPointer<Element>, widen: (Element) -> Float
    ) -> Tensor {
        var out = Tensor.zeros([bags.count, dimension])
        let dimension = dimension, rowCount = rowCount
        out.scalars.withUnsafeMutableBufferPointer { rows in
            for (row, bag) in bags.enumerated() where !bag.isEmpty {
                let scale = 1 / Float(bag.count)
                let target = rows.baseAddress! + row * dimension
                for id in bag {
                    precondition(id >= 0 && id < rowCount, "EmbeddingTable: id \(id) outside 0..<\(rowCount)")
                    let source = table.baseAddress! + id * dimension
                    for d in 0..<dimension { target[d] += scale * widen(source[d]) }
                }
            }
        }
        return out
    }
}
