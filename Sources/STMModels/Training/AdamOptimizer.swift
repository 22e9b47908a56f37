#if canImport(Glibc)
import Glibc
#endif
import STMTensor

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) over any `ParameterGroup`.
///
/// The two differ only in weight decay: Adam adds `weightDecay·θ` to the gradient (L2), AdamW subtracts
/// `learningRate·weightDecay·θ` from the weights directly. The moments have the parameters' own type, so a
/// checkpoint stores them under the same keys (prefixed `adam.m.` / `adam.v.`).
public struct AdamOptimizer<Parameters: ParameterGroup>: Sendable {
    public enum WeightDecay: Sendable, Equatable {
        case none
        /// Adam with L2 regularisation folded into the gradient.
        case coupled(Float)
        /// AdamW.
        case decoupled(Float)
    }

    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: WeightDecay
    /// Number of updates applied so far (the bias correction's `t`).
    public internal(set) var step: Int
    public internal(set) var firstMoment: Parameters
    public internal(set) var secondMoment: Parameters

    public init(
        for parameters: Parameters, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: WeightDecay = .none
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.step = 0
        self.firstMoment = parameters.zeros()
        self.secondMoment = parameters.zeros()
    }

    /// AdamW with PyTorch's defaults (decay 0.01).
    public static func adamW(for parameters: Parameters, learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Self {
        Self(for: parameters, learningRate: learningRate, weightDecay: .decoupled(weightDecay))
    }

    /// Applies one update in place.
    public mutating func update(_ parameters: inout Parameters, gradients: Parameters) {
        step += 1
        let correction1 = 1 - powf(beta1, Float(step))
        let correction2 = 1 - powf(beta2, Float(step))
        let stepSize = learningRate / correction1
        let (b1, b2, eps, lr) = (beta1, beta2, epsilon, learningRate)
        let (coupled, decoupled): (Float, Float) =
            switch weightDecay {
            case .none: (0, 0)
            case .coupled(let decay): (decay, 0)
            case .decoupled(let decay): (0, decay)
            }
        let grads = gradients.namedTensors
        // Move the moments out (leaving empty placeholders) so the arrays below hold them uniquely and the
        // update writes in place: no copy, no fresh zeroed buffers on every step.
        var moments1 = Self.takeTensors(from: &firstMoment)
        var moments2 = Self.takeTensors(from: &secondMoment)
        var index = 0
        parameters.visitTensors(prefix: "") { key, theta in
            precondition(grads[index].key == key, "AdamOptimizer: gradient \(grads[index].key) for \(key)")
            let g = grads[index].tensor
            precondition(g.shape == theta.shape, "AdamOptimizer: gradient \(g.shape) for \(key) \(theta.shape)")
            theta.scalars.withUnsafeMutableBufferPointer { p in
                moments1[index].scalars.withUnsafeMutableBufferPointer { m in
                    moments2[index].scalars.withUnsafeMutableBufferPointer { v in
                        g.scalars.withUnsafeBufferPointer { dp in
                            guard p.count > 0 else { return }
                            // Large tensors (the embedding) are split over the kernels' pool.
                            let tasks = p.count >= 1 << 16 ? FusedKernels.poolThreads : 1
                            let share = (p.count + tasks - 1) / tasks
                            FusedKernels.parallel(tasks) { task in
                                let first = task * share, count = min(share, p.count - first)
                                guard count > 0 else { return }
                                FusedKernels.adamUpdate(
                                    count: count, parameters: p.baseAddress! + first, gradients: dp.baseAddress! + first,
                                    firstMoment: m.baseAddress! + first, secondMoment: v.baseAddress! + first,
                                    beta1: b1, beta2: b2, stepSize: stepSize, correction2: correction2, epsilon: eps,
                                    coupledDecay: coupled, decoupledDecay: lr * decoupled)
                            }
                        }
                    }
                }
            }
            index += 1
        }
        index = 0
        firstMoment.visitTensors(prefix: "") { _, tensor in
            tensor = moments1[index]
            index += 1
        }
        index = 0
        secondMoment.visitTensors(prefix: "") { _, tensor in
            tensor = moments2[index]
            index += 1
        }
    }

    private static func takeTensors(from group: inout Parameters) -> [Tensor] {
        var taken: [Tensor] = []
        group.visitTensors(prefix: "") { _, tensor in
            taken.append(tensor)
            tensor = Tensor(shape: [0])
        }
        return taken
    }

    /// Restores the moments and step count (from a checkpoint).
    public mutating func restore(step: Int, firstMoment: Parameters, secondMoment: Parameters) {
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}

/// Scales `gradients` so their global L2 norm is at most `maxNorm` (as `torch.nn.utils.clip_grad_norm_`).
/// - Returns: the norm before clipping.
@discardableResult
public func clipByGlobalNorm<Parameters: ParameterGroup>(_ gradients: inout Parameters, maxNorm: Float) -> Float {
    let norm = Float(gradients.globalNorm)
    if norm > maxNorm, norm.isFinite {
        gradients.scale(by: maxNorm / (norm + 1e-6))
    }
    return norm
}
