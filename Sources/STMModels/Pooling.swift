public import STMTensor

/// How a sequence of encoder outputs becomes one vector per sequence.
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// The final hidden state of the top layer; for a bidirectional encoder, `[forward final ; backward final]`
    /// (the backward direction's final state is the one after reading the first token).
    case last
    /// Mean of the outputs over each sequence's real steps.
    case mean
    /// Elementwise maximum over each sequence's real steps.
    case max
}

/// What pooling needs for backward: the lengths, and for `max` the step each maximum came from.
public struct PoolingCache: Sendable {
    let lengths: [Int]
    let argmax: [Int]
}

extension Pooling {
    /// Pools `outputs` `[T, B, F]` over steps `0..<lengths[b]` → `[B, F]`. `last` is handled by the caller,
    /// which owns the final states.
    public func pool(_ outputs: Tensor, lengths: [Int]) -> (pooled: Tensor, cache: PoolingCache) {
        let steps = outputs.shape[0], batch = outputs.shape[1], features = outputs.shape[2]
        precondition(self != .last, "Pooling.pool: .last reads final states")
        precondition(lengths.allSatisfy { $0 >= 1 && $0 <= steps }, "Pooling.pool: lengths \(lengths)")
        var pooled = Tensor.zeros([batch, features])
        var argmax = [Int](repeating: 0, count: batch * features)
        for b in 0..<batch {
            for f in 0..<features {
                if self == .mean {
                    var total: Float = 0
                    for t in 0..<lengths[b] { total += outputs[flat: (t * batch + b) * features + f] }
                    pooled[b, f] = total / Float(lengths[b])
                } else {
                    var best = -Float.infinity, bestStep = 0
                    for t in 0..<lengths[b] where outputs[flat: (t * batch + b) * features + f] > best {
                        best = outputs[flat: (t * batch + b) * features + f]
                        bestStep = t
                    }
                    pooled[b, f] = best
                    argmax[b * features + f] = bestStep
                }
            }
        }
        return (pooled, PoolingCache(lengths: lengths, argmax: argmax))
    }

    /// Backward of `pool`: spreads `dPooled` `[B, F]` back over `[T, B, F]`.
    public func backward(_ dPooled: Tensor, steps: Int, cache: PoolingCache) -> Tensor {
        let batch = dPooled.rowCount, features = dPooled.columnCount
        var dOutputs = Tensor.zeros([steps, batch, features])
        for b in 0..<batch {
            for f in 0..<features {
                let d = dPooled[b, f]
                if self == .mean {
                    let share = d / Float(cache.lengths[b])
                    for t in 0..<cache.lengths[b] { dOutputs[flat: (t * batch + b) * features + f] = share }
                } else {
                    dOutputs[flat: (cache.argmax[b * features + f] * batch + b) * features + f] = d
                }
            }
        }
        return dOutputs
    }
}
