#if canImport(Glibc)
import Glibc
#endif

/// Scalar activations, written once so that forward kernels and their derivatives agree everywhere.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case sigmoid
    case tanh

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return stmSigmoid(x)
        case .tanh: return tanhf(x)
        }
    }

    /// Derivative expressed through the output `y = f(x)`: σ' = y(1−y), tanh' = 1−y².
    @inline(__always)
    public func derivative(output y: Float) -> Float {
        switch self {
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }
}

/// Logistic sigmoid, stable for large |x| (never evaluates exp of a large positive number).
@inline(__always)
public func stmSigmoid(_ x: Float) -> Float {
    if x >= 0 {
        return 1 / (1 + expf(-x))
    }
    let e = expf(x)
    return e / (1 + e)
}

extension Tensor {
    /// Elementwise σ through the vectorised kernels (the `generic` kernel set uses libm exactly).
    public func sigmoid() -> Tensor { applying(.sigmoid) }
    public func tanh() -> Tensor { applying(.tanh) }

    public func applying(_ activation: Activation) -> Tensor {
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            switch activation {
            case .sigmoid: FusedKernels.sigmoid(base, count: p.count)
            case .tanh: FusedKernels.tanh(base, count: p.count)
            }
        }
        return out
    }

    /// Softmax over the last axis, with the row maximum subtracted first.
    public func softmax() -> Tensor {
        var out = self
        let columns = columnCount
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rowCount {
                let base = r * columns
                var maximum = -Float.infinity
                for c in 0..<columns { maximum = Swift.max(maximum, p[base + c]) }
                var total: Float = 0
                for c in 0..<columns {
                    let e = expf(p[base + c] - maximum)
                    p[base + c] = e
                    total += e
                }
                let inverse = 1 / total
                for c in 0..<columns { p[base + c] *= inverse }
            }
        }
        return out
    }

    /// log(softmax(x)) over the last axis: `x − max − log Σ exp(x − max)`, finite for any finite input.
    public func logSoftmax() -> Tensor {
        var out = self
        let columns = columnCount
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rowCount {
                let base = r * columns
                var maximum = -Float.infinity
                for c in 0..<columns { maximum = Swift.max(maximum, p[base + c]) }
                var total: Float = 0
                for c in 0..<columns { total += expf(p[base + c] - maximum) }
                let shift = maximum + logf(total)
                for c in 0..<columns { p[base + c] -= shift }
            }
        }
        return out
    }
}
