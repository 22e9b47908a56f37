public import STMModels

/// How a translator computes each decoding step's output layer. The search (beam, length normalisation, stop
/// rule) is the same for all three.
public enum TranslatorDecoding: String, Sendable, CaseIterable {
    /// The model's own step: float32 logits, a full log-softmax tensor, candidates picked in Swift.
    case reference
    /// Float32 logits through the prepared layer and the fused normaliser/top-k kernels: the reference's
    /// numbers up to summation order and the kernels' exp.
    case float32 = "f32"
    /// The output table and the decoder's GRU and `combine` weights in bfloat16: half the bytes per step (BF16
    /// dot products with AVX-512 BF16, the weights widened to float32 in registers elsewhere).
    case bfloat16 = "bf16"

    /// What `Translator` uses unless told otherwise: the fastest the CPU runs.
    public static var fastest: TranslatorDecoding { TranslatorOutputLayer.fastest == .bfloat16 ? .bfloat16 : .float32 }

    /// The output layer this decoding prepares, nil for the reference.
    var outputPrecision: TranslatorOutputLayer.Precision? {
        switch self {
        case .reference: nil
        case .float32: .float32
        case .bfloat16: .bfloat16
        }
    }
}
