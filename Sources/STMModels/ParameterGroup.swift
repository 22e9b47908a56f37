public import STMTensor

/// A value holding named tensors: a layer's weights, or the gradients for them (the same type serves both).
///
/// Conformers implement one method, `visitTensors`, that hands each stored tensor to `body` in a fixed order
/// with its stable dotted key (the name it has in a safetensors file). Everything else — zeroing, adding,
/// loading with shape checks, the optimizer's update — is built on that walk, so a new layer writes its key
/// table exactly once.
public protocol ParameterGroup: Sendable {
    /// Calls `body` on every tensor, in declaration order, with `prefix` + its key.
    mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows
}

extension ParameterGroup {
    /// Every tensor with its full key, in visiting order.
    public var namedTensors: [(key: String, tensor: Tensor)] {
        var copy = self
        var out: [(key: String, tensor: Tensor)] = []
        copy.visitTensors(prefix: "") { key, tensor in out.append((key, tensor)) }
        return out
    }

    /// The same keys and shapes, every element zero: a fresh gradient accumulator.
    public func zeros() -> Self {
        var copy = self
        copy.visitTensors(prefix: "") { _, tensor in tensor = Tensor.zeros(tensor.shape) }
        return copy
    }

    /// Number of scalars across all tensors.
    public var scalarCount: Int { namedTensors.reduce(0) { $0 + $1.tensor.count } }

    /// `self += factor · other`, tensor by tensor (both must come from the same layer).
    public mutating func add(_ other: Self, scaledBy factor: Float = 1) {
        let others = other.namedTensors
        var index = 0
        visitTensors(prefix: "") { key, tensor in
            precondition(others[index].key == key, "ParameterGroup.add: \(key) against \(others[index].key)")
            tensor.add(others[index].tensor, scaledBy: factor)
            index += 1
        }
    }

    public mutating func scale(by factor: Float) {
        visitTensors(prefix: "") { _, tensor in tensor.scale(by: factor) }
    }

    /// √(Σ x²) over every tensor, accumulated in Double.
    public var globalNorm: Double {
        namedTensors.reduce(0.0) { $0 + $1.tensor.sumOfSquares() }.squareRoot()
    }

    /// Replaces every tensor with the one stored under `prefix` + its key, checking that each key is present
    /// and each shape matches; nothing is changed unless all of them do. Extra keys in `tensors` are
    /// allowed (a file can hold several layers); `unusedKeys` in the error path lists them only for context.
    public mutating func load(from tensors: [String: Tensor], prefix: String = "") throws(ParameterLoadError) {
        var updated = self
        var failure: ParameterLoadError?
        updated.visitTensors(prefix: prefix) { key, tensor in
            guard failure == nil else { return }
            guard let stored = tensors[key] else {
                failure = .missingKey(key)
                return
            }
            guard stored.shape == tensor.shape else {
                failure = .mismatchedShape(key: key, expected: tensor.shape, actual: stored.shape)
                return
            }
            tensor = stored
        }
        if let failure { throw failure }
        self = updated
    }
}

/// Why a set of named tensors could not be loaded into a layer.
public enum ParameterLoadError: Error, Equatable, CustomStringConvertible {
    case missingKey(String)
    case mismatchedShape(key: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .missingKey(let key):
            return "missing tensor '\(key)'"
        case .mismatchedShape(let key, let expected, let actual):
            return "tensor '\(key)' has shape \(actual), expected \(expected)"
        }
    }
}

/// An ordered list of groups of the same kind (the layers of a stack), keyed by index: `"0."`, `"1."`, ….
public struct ParameterList<Element: ParameterGroup>: ParameterGroup {
    public var elements: [Element]

    public init(_ elements: [Element]) { self.elements = elements }

    public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        for index in elements.indices {
            try elements[index].visitTensors(prefix: "\(prefix)\(index).", body)
        }
    }
}
