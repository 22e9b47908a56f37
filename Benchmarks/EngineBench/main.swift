import STMModels
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

// stmd-bench: the engine's side of `make bench` (Benchmarks/run.py drives it and the peers).
//   stmd-bench peak --threads N
//   stmd-bench rnn --cell lstm|gru --hidden H --mode stream|batch32|train32 --threads N --precision f32|bf16
//                  [--shards N]  (train32: batch shards, default the thread count)
// One JSON object per line on stdout, in the same schema as Benchmarks/peers/peers.py.

let arguments = BenchArguments(CommandLine.arguments.dropFirst())
BLAS.threadCount = arguments.integer("threads", default: 1)
Allocator.reuseFreedMemory()
let windows = arguments.integer("windows", default: 5)
let windowSeconds = Double(arguments.string("window", default: "0.5"))!

switch arguments.command {
case "peak":
    runPeak()
case "rnn":
    runRecurrent()
case "precision":
    runPrecisionCheck()
default:
    print("usage: stmd-bench peak|rnn [--options]")
    exit(2)
}

func runPeak() {
    let threads = BLAS.threadCount
    for (m, n, k, label) in [(1024, 1024, 1024, "sgemm 1024x1024x1024"), (32, 1024, 256, "sgemm 32x1024x256"), (2048, 1024, 128, "sgemm 2048x1024x128")] {
        var generator = SplitMix64(seed: 1)
        let a = Tensor.uniform([m, k], bound: 1, using: &generator)
        let b = Tensor.uniform([n, k], bound: 1, using: &generator)
        var c = Tensor.zeros([m, n])
        let timing = measure { gemm(a, b, transposeB: true, into: &c) }
        emit(["kind": .string("peak"), "what": .string(label), "threads": .int(threads),
              "gflops": .double(2 * Double(m * n * k) / timing.best / 1e9)])
    }
    // The batch-1 recurrence's shape: W_hh of an LSTM-256 is 1024x256.
    for (rows, columns) in [(1024, 256), (2048, 512)] {
        var generator = SplitMix64(seed: 2)
        let w = Tensor.uniform([rows, columns], bound: 1, using: &generator).scalars
        let wb = FusedKernels.bfloat16(w)
        let x = Tensor.uniform([columns], bound: 1, using: &generator).scalars
        var y = [Float](repeating: 0, count: rows)
        let flops = 2 * Double(rows * columns)
        let dnnl = measure {
            w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: 1, k: columns, alpha: 1, a: wp.baseAddress!,
                           lda: columns, b: xp.baseAddress!, ldb: 1, beta: 0, c: yp.baseAddress!, ldc: 1)
            } } }
        }
        let own = measure { FusedKernels.gemv(rows: rows, columns: columns, weights: w, x: x, y: &y, accumulate: false) }
        let ownBF16 = measure { FusedKernels.gemvBF16(rows: rows, columns: columns, weights: wb, x: x, y: &y, accumulate: false) }
        for (label, timing, bytes) in [("sgemv dnnl", dnnl, 4), ("sgemv stmd f32", own, 4), ("gemv stmd bf16", ownBF16, 2)] {
            emit(["kind": .string("peak"), "what": .string("\(label) \(rows)x\(columns)"), "threads": .int(threads),
                  "gflops": .double(flops / timing.best / 1e9),
                  "gigabytes_per_second": .double(Double(rows * columns * bytes) / timing.best / 1e9),
                  "microseconds": .double(timing.best * 1e6)])
        }
    }
}

func runRecurrent() {
    let cell = arguments.string("cell", default: "lstm")
    let hidden = arguments.integer("hidden", default: 256)
    let mode = arguments.string("mode", default: "stream")
    let precision = WeightPrecision(rawValue: arguments.string("precision", default: "f32"))!
    let (vocabulary, embedding, steps) = (20000, 128, 64)
    var generator = SplitMix64(seed: 3)
    let documents = (0..<64).map { _ in (0..<steps).map { _ in Int(generator.next() % UInt64(vocabulary)) } }
    let labels = (0..<32).map { _ in Int(generator.next() % 4) }
    let timing: Timing
    let tokensPerCall: Int
    switch (cell, mode) {
    case ("lstm", "train32"):
        (timing, tokensPerCall) = trainStep(LSTMCell(inputSize: embedding, hiddenSize: hidden), documents, labels)
    case ("gru", "train32"):
        (timing, tokensPerCall) = trainStep(GRUCell(inputSize: embedding, hiddenSize: hidden), documents, labels)
    default:
        let batch = mode == "batch32" ? 32 : 1
        let table = Embedding(vocabularySize: vocabulary, dimension: embedding)
        let tableParameters = table.makeParameters(using: &generator)
        let runner: RecurrentRunner = cell == "gru"
            ? { let c = GRUCell(inputSize: embedding, hiddenSize: hidden); return c.makeRunner(parameters: c.makeParameters(using: &generator), precision: precision) }()
            : { let c = LSTMCell(inputSize: embedding, hiddenSize: hidden); return c.makeRunner(parameters: c.makeParameters(using: &generator), precision: precision) }()
        var outputs = [Float](repeating: 0, count: steps * batch * hidden)
        var final = [Float](repeating: 0, count: batch * hidden)
        var next = 0
        tokensPerCall = steps * batch
        timing = measure {
            // Time-major ids for `batch` documents, then the embedding gather and the unroll.
            var ids = [Int](repeating: 0, count: steps * batch)
            for b in 0..<batch {
                let document = documents[(next + b) % documents.count]
                for t in 0..<steps { ids[t * batch + b] = document[t] }
            }
            next += batch
            let x = table.forward(ids, parameters: tableParameters)
            x.scalars.withUnsafeBufferPointer { xp in
                runner.run(input: xp.baseAddress!, steps: steps, batch: batch, outputs: &outputs, finalH: &final)
            }
        }
    }
    emit([
        "peer": .string("stmd"), "version": .string("0.1.0 \(KernelISA.current)\(KernelISA.nativeBF16 ? "+bf16" : "")"),
        "cell": .string(cell), "hidden": .int(hidden), "mode": .string(mode), "threads": .int(BLAS.threadCount),
        "precision": .string(mode == "train32" ? "f32" : precision.rawValue),
        "shards": .int(mode == "train32" ? arguments.integer("shards", default: BLAS.threadCount) : 1),
        "tokens_per_second": .double(Double(tokensPerCall) / timing.best),
        "median_tokens_per_second": .double(Double(tokensPerCall) / timing.median),
        "seconds_per_call": .double(timing.best),
    ])
}

/// f32 against bf16 weights on the benchmark model (until a trained model exists to compare accuracies on):
/// the final states of 64 documents, and whether a random 4-way head picks the same class from them.
func runPrecisionCheck() {
    for cellName in ["lstm", "gru"] {
        for hidden in [256, 512] {
            let model: SequenceClassifier<LSTMCell>? = cellName == "lstm" ? SequenceClassifier(
                vocabularySize: 20000, embeddingSize: 128, hiddenSize: hidden, classCount: 4,
                makeCell: { LSTMCell(inputSize: $0, hiddenSize: $1) }) : nil
            let gruModel: SequenceClassifier<GRUCell>? = cellName == "gru" ? SequenceClassifier(
                vocabularySize: 20000, embeddingSize: 128, hiddenSize: hidden, classCount: 4,
                makeCell: { GRUCell(inputSize: $0, hiddenSize: $1) }) : nil
            var generator = SplitMix64(seed: 5)
            let documents = (0..<64).map { _ in (0..<64).map { _ in Int(generator.next() % 20000) } }
            let (f32, bf16): (Tensor, Tensor)
            if let model {
                let parameters = model.makeParameters(using: &generator)
                f32 = ClassifierInference(model: model, parameters: parameters, precision: .f32).probabilities(documents)
                bf16 = ClassifierInference(model: model, parameters: parameters, precision: .bf16).probabilities(documents)
            } else {
                let model = gruModel!
                let parameters = model.makeParameters(using: &generator)
                f32 = ClassifierInference(model: model, parameters: parameters, precision: .f32).probabilities(documents)
                bf16 = ClassifierInference(model: model, parameters: parameters, precision: .bf16).probabilities(documents)
            }
            var agree = 0
            for row in 0..<64 {
                let pick = { (t: Tensor) in (0..<4).max { t[row, $0] < t[row, $1] }! }
                if pick(f32) == pick(bf16) { agree += 1 }
            }
            emit(["kind": .string("precision"), "cell": .string(cellName), "hidden": .int(hidden),
                  "max_probability_difference": .double(Double(f32.maxAbsoluteDifference(bf16))),
                  "argmax_agreement": .double(Double(agree) / 64)])
        }
    }
}

/// One Adam step of Embedding → cell → Linear(H, 4) on the last state, batch 32 (the peers' training step).
/// With several threads the batch is split into that many shards, each run forward and backward on its own
/// thread and combined (`ShardedGradients`, as `stmd train` does); `--shards N` overrides the count.
func trainStep<Cell: RecurrentCell>(_ cell: Cell, _ documents: [[Int]], _ labels: [Int]) -> (Timing, Int) {
    let model = SequenceClassifier(
        vocabularySize: 20000, embeddingSize: cell.inputSize, hiddenSize: cell.hiddenSize, classCount: 4,
        makeCell: { cell.resized(inputSize: $0, hiddenSize: $1) })
    var generator = SplitMix64(seed: 4)
    let parameters = model.makeParameters(using: &generator)
    var trainer = Trainer(parameters: parameters, optimizer: AdamOptimizer(for: parameters), seed: 4, maxGradientNorm: nil)
    let batch = Array(documents.prefix(32))
    let shards = arguments.integer("shards", default: BLAS.threadCount)
    let timing = measure {
        trainer.train { p, g in
            ShardedGradients.compute(batchSize: batch.count, shards: shards, generator: &g) { range, shardGenerator in
                model.lossAndGradients(
                    Array(batch[range]), labels: Array(labels[range]), parameters: p, training: false,
                    using: &shardGenerator)
            }
        }
    }
    return (timing, 32 * 64)
}

struct Timing {
    let best: Double
    let median: Double
}

/// Warm-up, then `windows` windows of about `windowSeconds` each: best and median seconds per call.
func measure(_ body: () -> Void) -> Timing {
    let warmupEnd = now() + 0.3
    var calls = 0
    while now() < warmupEnd || calls < 3 {
        body()
        calls += 1
    }
    var perCall: [Double] = []
    for _ in 0..<windows {
        let start = now()
        var count = 0
        repeat {
            body()
            count += 1
        } while now() - start < windowSeconds
        perCall.append((now() - start) / Double(count))
    }
    perCall.sort()
    return Timing(best: perCall[0], median: perCall[perCall.count / 2])
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

enum JSONValue {
    case string(String), int(Int), double(Double)
    var text: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return "\(i)"
        case .double(let d): return "\(d)"
        }
    }
}

func emit(_ fields: KeyValuePairs<String, JSONValue>) {
    print("{" + fields.map { "\"\($0.key)\": \($0.value.text)" }.joined(separator: ", ") + "}")
    fflush(nil)
}

struct BenchArguments {
    let command: String
    let options: [String: String]

    init(_ raw: ArraySlice<String>) {
        command = raw.first ?? ""
        var options: [String: String] = [:]
        var index = raw.index(after: raw.startIndex)
        while index < raw.endIndex {
            let key = raw[index]
            if key.hasPrefix("--"), raw.index(after: index) < raw.endIndex {
                options[String(key.dropFirst(2))] = raw[raw.index(after: index)]
                index = raw.index(index, offsetBy: 2)
            } else {
                index = raw.index(after: index)
            }
        }
        self.options = options
    }

    func string(_ key: String, default value: String) -> String { options[key] ?? value }
    func integer(_ key: String, default value: Int) -> Int { options[key].flatMap(Int.init) ?? value }
}
