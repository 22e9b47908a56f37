public import STMTensor

/// Luong et al. (2015) "general" attention for one sequence: scores `S·Kᵀ` of the decoder states `S` `[T, Hd]`
/// against the projected encoder states `K` `[Ts, Hd]`, a softmax over the source positions, and the context
/// `A·M` over the encoder states `M` `[Ts, W]`. The projection `K = M·Wₐᵀ + b` is done once per batch
/// outside, so decoding a step costs two small products.
public enum LuongAttention {
    public struct Cache: Sendable {
        let states: Tensor
        let keys: Tensor
        let memory: Tensor
        /// `[T, Ts]`: the attention weights.
        public let weights: Tensor
    }

    /// - Returns: contexts `[T, W]` and the cache for `backward`.
    public static func forward(states: Tensor, keys: Tensor, memory: Tensor) -> (context: Tensor, cache: Cache) {
        var scores = Tensor.zeros([states.rowCount, keys.rowCount])
        gemm(states, keys, transposeB: true, into: &scores)
        let weights = scores.softmax()
        var context = Tensor.zeros([states.rowCount, memory.columnCount])
        gemm(weights, memory, into: &context)
        return (context, Cache(states: states, keys: keys, memory: memory, weights: weights))
    }

    /// Gradients of the states, keys and memory from the contexts' gradient.
    public static func backward(dContext: Tensor, cache: Cache) -> (dStates: Tensor, dKeys: Tensor, dMemory: Tensor) {
        let a = cache.weights
        var dMemory = Tensor.zeros(cache.memory.shape)
        gemm(a, transposeA: true, dContext, into: &dMemory)
        var dWeights = Tensor.zeros(a.shape)
        gemm(dContext, cache.memory, transposeB: true, into: &dWeights)
        // Softmax backward, row by row: dS = A ⊙ (dA − Σ_j dA_j·A_j).
        var dScores = dWeights
        let columns = a.columnCount
        for r in 0..<a.rowCount {
            var dot: Float = 0
            for c in 0..<columns { dot += dWeights[r, c] * a[r, c] }
            for c in 0..<columns { dScores[r, c] = a[r, c] * (dWeights[r, c] - dot) }
        }
        var dStates = Tensor.zeros(cache.states.shape)
        gemm(dScores, cache.keys, into: &dStates)
        var dKeys = Tensor.zeros(cache.keys.shape)
        gemm(dScores, transposeA: true, cache.states, into: &dKeys)
        return (dStates, dKeys, dMemory)
    }
}
