#if canImport(Glibc)
import Glibc
#endif

/// The generator for a parameter template whose values a load is about to replace: `Tensor.uniform` and
/// `Tensor.normal` give zeros for it instead of sampling. Only a template's keys and shapes matter, and sampling
/// a model's tables (Box–Muller over every embedding row) was most of the time `stmd annotate` took on one file.
public struct LoadTemplateGenerator: RandomNumberGenerator {
    public init() {}
    public mutating func next() -> UInt64 { 0 }
}

extension Tensor {
    /// Uniform in [-bound, bound): PyTorch's default for recurrent and linear layers uses bound = 1/√fanIn.
    public static func uniform(_ shape: [Int], bound: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
        if generator is LoadTemplateGenerator { return .zeros(shape) }
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = (generator.nextUnitFloat() * 2 - 1) * bound }
        return Tensor(shape: shape, scalars: values)
    }

    /// Standard normal scaled by `standardDeviation` (Box–Muller on the generator's uniforms).
    public static func normal(
        _ shape: [Int], standardDeviation: Float = 1, using generator: inout some RandomNumberGenerator
    ) -> Tensor {
        if generator is LoadTemplateGenerator { return .zeros(shape) }
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = max(generator.nextUnitFloat(), 1e-7), u2 = generator.nextUnitFloat()
            let radius = sqrtf(-2 * logf(u1))
            values[i] = radius * cosf(2 * .pi * u2) * standardDeviation
            if i + 1 < count { values[i + 1] = radius * sinf(2 * .pi * u2) * standardDeviation }
            i += 2
        }
        return Tensor(shape: shape, scalars: values)
    }
}
