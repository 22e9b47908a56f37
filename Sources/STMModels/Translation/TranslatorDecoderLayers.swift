import STMTensor

/// The decoder's per-step layers in bfloat16 for inference: the GRU's input and recurrent products and the
/// `combine` layer, packed once (`PackedBF16Matrix`). With the output layer in bfloat16 too, a beam step streams
/// half the weight bytes of the float32 step; the attention over the source (a few rows) stays float32. The
/// same arithmetic as `AttentionTranslatorModel.decoderOutputs` up to bf16 rounding of the weights.
public struct TranslatorDecoderLayers: Sendable {
    let hiddenSize: Int
    let inputProjection: PackedBF16Matrix
    let recurrentProjection: PackedBF16Matrix
    let combine: PackedBF16Matrix

    public init(model: AttentionTranslatorModel, parameters: AttentionTranslatorModel.Parameters) {
        hiddenSize = model.decoder.hiddenSize
        inputProjection = PackedBF16Matrix(weight: parameters.decoder.wx, bias: parameters.decoder.bx)
        recurrentProjection = PackedBF16Matrix(weight: parameters.decoder.wh, bias: parameters.decoder.bh)
        combine = PackedBF16Matrix(weight: parameters.combine.weight, bias: parameters.combine.bias)
    }

    /// Embedded previous tokens `x` `[K, E]` and states `[K, Hd]` → the outputs h̃ `[K, E]` and the new states.
    func step(
        x: Tensor, states: Tensor, source: AttentionTranslatorModel.EncodedSource
    ) -> (outputs: Tensor, states: Tensor) {
        let batch = states.rowCount, h = hiddenSize
        let p = inputProjection(x), q = recurrentProjection(states)
        var gates = Tensor.zeros([batch, 3 * h])
        var next = Tensor.zeros([batch, h])
        p.scalars.withUnsafeBufferPointer { p in
            q.scalars.withUnsafeBufferPointer { q in
                states.scalars.withUnsafeBufferPointer { previous in
                    gates.scalars.withUnsafeMutableBufferPointer { g in
                        next.scalars.withUnsafeMutableBufferPointer { out in
                            FusedKernels.gruForward(
                                batch: batch, hidden: h, p: p.baseAddress!, q: q.baseAddress!, previousH: previous.baseAddress!,
                                gates: g.baseAddress!, h: out.baseAddress!)
                        }
                    }
                }
            }
        }
        let (context, _) = LuongAttention.forward(states: next, keys: source.keys, memory: source.memory)
        var combined = combine(Tensor.concatenatedColumns(next, context))
        combined.scalars.withUnsafeMutableBufferPointer { FusedKernels.tanh($0.baseAddress!, count: $0.count) }
        return (combined, next)
    }
}
