import STMModels
import STMTesting
import STMTensor
import Testing

/// The four cells the engine ships, for parameterised tests.
enum CellCase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case elmanSigmoid, elmanTanh, gru, lstm

    var testDescription: String { rawValue }

    /// Runs `body` with the concrete cell type (generic code cannot be stored in a closure).
    func with<Visitor: CellCaseVisitor>(inputSize: Int, hiddenSize: Int, _ visitor: Visitor) -> Visitor.Result {
        switch self {
        case .elmanSigmoid:
            return visitor.visit(ElmanCell(inputSize: inputSize, hiddenSize: hiddenSize, activation: .sigmoid))
        case .elmanTanh:
            return visitor.visit(ElmanCell(inputSize: inputSize, hiddenSize: hiddenSize, activation: .tanh))
        case .gru:
            return visitor.visit(GRUCell(inputSize: inputSize, hiddenSize: hiddenSize))
        case .lstm:
            return visitor.visit(LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize))
        }
    }

    func makeCell(inputSize: Int, hiddenSize: Int) -> any RecurrentCell {
        switch self {
        case .elmanSigmoid: ElmanCell(inputSize: inputSize, hiddenSize: hiddenSize, activation: .sigmoid)
        case .elmanTanh: ElmanCell(inputSize: inputSize, hiddenSize: hiddenSize, activation: .tanh)
        case .gru: GRUCell(inputSize: inputSize, hiddenSize: hiddenSize)
        case .lstm: LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize)
        }
    }
}

protocol CellCaseVisitor {
    associatedtype Result
    func visit<Cell: RecurrentCell>(_ cell: Cell) -> Result
}

/// A state of the cell's shape filled with values in ±0.8 (away from saturation).
func randomState<Cell: RecurrentCell>(
    _ cell: Cell, batch: Int, using generator: inout some RandomNumberGenerator
) -> Cell.State {
    Cell.State(components: cell.zeroState(batchSize: batch).components.map {
        Tensor.uniform($0.shape, bound: 0.8, using: &generator)
    })
}

/// One projection per state component, so every component of a final state reaches the loss.
struct StateProjection<State: RecurrentState> {
    let projections: [RandomProjection]

    init(like state: State, seed: UInt64) {
        projections = state.components.enumerated().map { RandomProjection(shape: $1.shape, seed: seed + UInt64($0)) }
    }

    func loss(_ state: State) -> Double {
        zip(projections, state.components).reduce(0.0) { $0 + $1.0.loss($1.1) }
    }

    var gradient: State { State(components: projections.map(\.weights)) }
}
