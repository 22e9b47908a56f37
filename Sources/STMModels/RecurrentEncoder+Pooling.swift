public import STMTensor

/// Pooling an encoder's result into one vector per sequence, and its backward: shared by the classifiers.
extension RecurrentEncoder {
    /// `[B, outputSize]`: the top layer's final states (`.last`; forward then backward direction) or the outputs
    /// pooled over each sequence's real steps.
    public func pool(
        outputs: Tensor, finalStates: [[Cell.State]], lengths: [Int], pooling: Pooling
    ) -> (pooled: Tensor, cache: PoolingCache?) {
        guard pooling != .last else {
            let top = finalStates[finalStates.count - 1]
            var pooled = top[0].output
            if top.count == 2 { pooled = Tensor.concatenatedColumns(pooled, top[1].output) }
            return (pooled, nil)
        }
        let result = pooling.pool(outputs, lengths: lengths)
        return (result.pooled, result.cache)
    }

    /// The gradients `backward` needs from the pooled vector's gradient: of the outputs `[T, B, outputSize]`
    /// (zero for `.last`) and of the final states (nil unless `.last`).
    public func poolBackward(
        _ dPooled: Tensor, pooling: Pooling, steps: Int, batch: Int, cache: PoolingCache?
    ) -> (dOutputs: Tensor, dFinalStates: [[Cell.State]]?) {
        guard pooling == .last else {
            return (pooling.backward(dPooled, steps: steps, cache: cache!), nil)
        }
        let zeroState = cells[0][0].zeroState(batchSize: batch)
        var finals = cells.map { layer in layer.map { _ in zeroState } }
        let top = finals.count - 1
        if bidirectional {
            let (forwardPart, backwardPart) = dPooled.splitColumns(at: hiddenSize)
            finals[top][0].output = forwardPart
            finals[top][1].output = backwardPart
        } else {
            finals[top][0].output = dPooled
        }
        return (Tensor.zeros([steps, batch, outputSize]), finals)
    }
}
