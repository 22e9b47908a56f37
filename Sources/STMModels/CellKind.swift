import STMTensor

/// The recurrent cells a model configuration can name.
public enum CellKind: String, Sendable, Codable, CaseIterable {
    /// The seed's Elman cell with σ, exactly as in the formula.
    case elman
    /// The Elman cell with tanh (PyTorch `nn.RNN`'s default).
    case elmanTanh = "elman-tanh"
    case gru
    case lstm
}

/// Code that is generic over the cell type, run for the type a `CellKind` names: how a configuration read at
/// run time reaches the generic models (`visit` is called with the matching cell constructor).
public protocol CellVisitor {
    associatedtype Result
    func visit<Cell: RecurrentCell>(_ makeCell: @escaping @Sendable (_ inputSize: Int, _ hiddenSize: Int) -> Cell) throws -> Result
}

extension CellKind {
    public func accept<Visitor: CellVisitor>(_ visitor: Visitor) throws -> Visitor.Result {
        switch self {
        case .elman: try visitor.visit { ElmanCell(inputSize: $0, hiddenSize: $1, activation: .sigmoid) }
        case .elmanTanh: try visitor.visit { ElmanCell(inputSize: $0, hiddenSize: $1, activation: .tanh) }
        case .gru: try visitor.visit { GRUCell(inputSize: $0, hiddenSize: $1) }
        case .lstm: try visitor.visit { LSTMCell(inputSize: $0, hiddenSize: $1) }
        }
    }
}
