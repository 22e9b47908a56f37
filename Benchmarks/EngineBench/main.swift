import STMModels
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

// Quick baseline probe (replaced by the real benchmark harness).
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

BLAS.threadCount = 1
let hidden = Int(CommandLine.arguments.dropFirst().first ?? "256") ?? 256
let model = SequenceClassifier(
    vocabularySize: 20000, embeddingSize: 128, hiddenSize: hidden, classCount: 4,
    makeCell: { LSTMCell(inputSize: $0, hiddenSize: $1) })
var generator = SplitMix64(seed: 1)
let parameters = model.makeParameters(using: &generator)
var trainer = Trainer(parameters: parameters, optimizer: AdamOptimizer(for: parameters), seed: 1, maxGradientNorm: nil)
let batch = (0..<32).map { _ in (0..<64).map { _ in Int(generator.next() % 20000) } }
let labels = (0..<32).map { _ in Int(generator.next() % 4) }
var start = now()
for _ in 0..<3 {
    trainer.train { p, g in model.lossAndGradients(batch, labels: labels, parameters: p, using: &g) }
}
print("train32 lstm-\(hidden): \(3 * 2048 / (now() - start)) tokens/s")
start = now()
for _ in 0..<3 { _ = model.probabilities(batch, parameters: parameters) }
print("batch32 lstm-\(hidden): \(3 * 2048 / (now() - start)) tokens/s")
start = now()
for d in 0..<32 { _ = model.probabilities([batch[d]], parameters: parameters) }
print("stream lstm-\(hidden): \(32 * 64 / (now() - start)) tokens/s")
