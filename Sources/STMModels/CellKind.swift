/// The recurrent cells a model configuration can name.
public enum CellKind: String, Sendable, Codable, CaseIterable {
    /// The seed's Elman cell with σ, exactly as in the formula.
    case elman
    /// The Elman cell with tanh (PyTorch `nn.RNN`'s default).
    case elmanTanh = "elman-tanh"
    case gru
    case lstm
}
