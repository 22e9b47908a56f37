public import STMModels
public import STMTensor

/// Finite-difference gradient checking for the float32 engine.
///
/// The layers compute in Float (the BLAS is sgemm), so the check runs in Float too, and its tolerance follows
/// from the two error sources of a central difference `(L(θ+h) − L(θ−h)) / 2h`:
/// - truncation, about `h²·|L'''|/6`: with `h = 1e-2` and the O(1) third derivatives of σ/tanh layers, ≲ 2e-5;
/// - rounding, about `ε·|L|/h` with ε = 6e-8 for Float and `L` accumulated in Double from O(10) outputs of
///   magnitude ≤ 1: ≲ 1e-4 (and larger for the loss of long unrolls, hence the absolute floor).
/// So `|analytic − numeric| ≤ 2e-3 + 2e-2·|numeric|` separates a correct gradient (errors ~1e-4) from a wrong
/// one (a missing term is off by O(|gradient|)). `GradientCheckTests` shows the check rejects a gradient that
/// is only 5% off. The Double-precision comparison lives in the NumPy reference fixtures.
public enum GradientCheck {
    public static let defaultStep: Float = 1e-2
    public static let absoluteTolerance: Float = 2e-3
    public static let relativeTolerance: Float = 2e-2

    /// Numeric gradient of `loss` with respect to every element of `x`.
    public static func numericGradient(of loss: (Tensor) -> Double, at x: Tensor, step: Float = defaultStep) -> Tensor {
        var gradient = Tensor.zeros(x.shape)
        var probe = x
        for i in 0..<x.count {
            let original = probe[flat: i]
            probe[flat: i] = original + step
            let plus = loss(probe)
            probe[flat: i] = original - step
            let minus = loss(probe)
            probe[flat: i] = original
            gradient[flat: i] = Float((plus - minus) / (2 * Double(step)))
        }
        return gradient
    }

    /// Numeric gradient of `loss` with respect to every tensor of a parameter group.
    public static func numericGradient<Parameters: ParameterGroup>(
        of loss: (Parameters) -> Double, at parameters: Parameters, step: Float = defaultStep
    ) -> Parameters {
        var gradients = parameters.zeros()
        let keys = parameters.namedTensors.map(\.key)
        var current = parameters
        for (index, key) in keys.enumerated() {
            let count = parameters.namedTensors[index].tensor.count
            var column = [Float](repeating: 0, count: count)
            for i in 0..<count {
                var plus = 0.0, minus = 0.0
                var original: Float = 0
                current.visitTensors(prefix: "") { name, tensor in
                    if name == key {
                        original = tensor[flat: i]
                        tensor[flat: i] = original + step
                    }
                }
                plus = loss(current)
                current.visitTensors(prefix: "") { name, tensor in if name == key { tensor[flat: i] = original - step } }
                minus = loss(current)
                current.visitTensors(prefix: "") { name, tensor in if name == key { tensor[flat: i] = original } }
                column[i] = Float((plus - minus) / (2 * Double(step)))
            }
            gradients.visitTensors(prefix: "") { name, tensor in
                if name == key { tensor = Tensor(shape: tensor.shape, scalars: column) }
            }
        }
        return gradients
    }

    /// A mismatch report, or nil when every element is within tolerance. Also fails an all-zero analytic
    /// gradient against a non-zero numeric one, so a missing backward cannot pass by accident.
    public static func mismatch(
        analytic: Tensor, numeric: Tensor, label: String,
        absoluteTolerance: Float = absoluteTolerance, relativeTolerance: Float = relativeTolerance
    ) -> String? {
        guard analytic.shape == numeric.shape else {
            return "\(label): analytic shape \(analytic.shape) vs numeric \(numeric.shape)"
        }
        var worstExcess: Float = 0
        var worstIndex = -1
        for i in 0..<analytic.count {
            let a = analytic[flat: i], n = numeric[flat: i]
            let allowed = absoluteTolerance + relativeTolerance * abs(n)
            let excess = abs(a - n) - allowed
            if !(excess <= worstExcess) || !a.isFinite {
                worstExcess = a.isFinite ? excess : .infinity
                worstIndex = i
            }
        }
        guard worstIndex >= 0 else { return nil }
        return "\(label): element \(worstIndex) analytic \(analytic[flat: worstIndex]) numeric \(numeric[flat: worstIndex])"
            + " (exceeds tolerance by \(worstExcess))"
    }

    /// Mismatches for every tensor of two parameter groups, labelled with their keys.
    public static func mismatches<Parameters: ParameterGroup>(
        analytic: Parameters, numeric: Parameters, label: String
    ) -> [String] {
        zip(analytic.namedTensors, numeric.namedTensors).compactMap { a, n in
            mismatch(analytic: a.tensor, numeric: n.tensor, label: "\(label).\(a.key)")
        }
    }
}

/// A fixed random projection that turns any tensor into a scalar loss `Σ wᵢ·yᵢ` (in Double), so that
/// `dL/dy = w` is known exactly and every output element influences the loss with its own weight.
public struct RandomProjection: Sendable {
    public let weights: Tensor

    public init(shape: [Int], seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        weights = Tensor.uniform(shape, bound: 1, using: &generator)
    }

    public func loss(_ y: Tensor) -> Double {
        precondition(y.shape == weights.shape, "RandomProjection: \(y.shape) vs \(weights.shape)")
        var total = 0.0
        for i in 0..<y.count { total += Double(y[flat: i]) * Double(weights[flat: i]) }
        return total
    }
}
