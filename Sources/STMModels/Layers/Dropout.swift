public import STMTensor

/// Inverted dropout: during training each element is zeroed with probability `rate` and the survivors are
/// scaled by 1/(1 − rate), so inference needs no rescaling. The mask is the cache for backward.
public struct Dropout: Sendable {
    public let rate: Float

    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate \(rate) outside [0, 1)")
        self.rate = rate
    }

    /// - Returns: the output and the mask (`nil` when nothing was dropped: inference, or rate 0).
    public func forward(
        _ x: Tensor, training: Bool, using generator: inout some RandomNumberGenerator
    ) -> (output: Tensor, mask: Tensor?) {
        guard training, rate > 0 else { return (x, nil) }
        let keep = 1 / (1 - rate)
        var mask = Tensor.zeros(x.shape)
        for i in 0..<mask.count where generator.nextUnitFloat() >= rate { mask[flat: i] = keep }
        return (x * mask, mask)
    }

    public func backward(_ dOutput: Tensor, mask: Tensor?) -> Tensor {
        guard let mask else { return dOutput }
        return dOutput * mask
    }
}
