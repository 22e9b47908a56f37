public import STMTensor

/// `y = x · Wᵀ + b` over rows: `[N, inputSize] → [N, outputSize]` (PyTorch `nn.Linear` layout).
public struct Linear: Sendable {
    public let inputSize: Int
    public let outputSize: Int

    public init(inputSize: Int, outputSize: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    /// Keys: `weight` `[outputSize, inputSize]`, `bias` `[outputSize]`.
    public struct Parameters: ParameterGroup {
        public var weight: Tensor
        public var bias: Tensor

        public init(weight: Tensor, bias: Tensor) {
            self.weight = weight
            self.bias = bias
        }

        public mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
            try body(prefix + "weight", &weight)
            try body(prefix + "bias", &bias)
        }
    }

    /// Uniform in ±1/√inputSize, as PyTorch.
    public func makeParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        let bound = 1 / Float(inputSize).squareRoot()
        return Parameters(
            weight: .uniform([outputSize, inputSize], bound: bound, using: &generator),
            bias: .uniform([outputSize], bound: bound, using: &generator))
    }

    public func forward(_ x: Tensor, parameters: Parameters) -> Tensor {
        precondition(x.columnCount == inputSize, "Linear.forward: x \(x.shape), inputSize \(inputSize)")
        return affineForward(x, weight: parameters.weight, bias: parameters.bias)
    }

    /// Accumulates the weight and bias gradients; returns `dx`.
    public func backward(dOutput: Tensor, input: Tensor, parameters: Parameters, gradients: inout Parameters) -> Tensor {
        affineBackward(
            dOut: dOutput, input: input, weight: parameters.weight, dWeight: &gradients.weight, dBias: &gradients.bias)
    }
}
