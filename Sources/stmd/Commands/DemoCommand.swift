import ArgumentParser
import Foundation
import STMModels
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

/// Trains the three cells on an embedded toy sentiment task and evaluates them: the engine end to end
/// (embedding, recurrent encoder, BPTT, AdamW, clipping, checkpoint round trip) in a few seconds.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train and evaluate Elman, GRU and LSTM classifiers on an embedded toy task."
    )

    @Option(help: "Random seed: the same seed gives the same weights and numbers.")
    var seed: UInt64 = 7

    @Option(help: "Training epochs per model.")
    var epochs: Int = 8

    @Option(help: "Folder for the trained models (config.json + weights.safetensors each); a temporary folder when omitted.")
    var output: String?

    func run() throws {
        let threads = configureThreads()
        let corpus = ToySentimentCorpus(seed: seed)
        printError("stmd demo: \(corpus.training.count) training and \(corpus.validation.count) validation sentences, "
            + "vocabulary \(corpus.vocabulary.count), \(threads) BLAS thread(s)")
        let folder = output ?? makeTemporaryFolder()
        var results: [DemoResult] = []
        for kind in [CellKind.elman, .gru, .lstm] {
            let demo = DemoTraining(corpus: corpus, seed: seed, epochs: epochs, folder: folder)
            let result: DemoResult
            switch kind {
            case .elman, .elmanTanh:
                result = try demo.run(kind: kind) { ElmanCell(inputSize: $0, hiddenSize: $1, activation: .sigmoid) }
            case .gru:
                result = try demo.run(kind: kind) { GRUCell(inputSize: $0, hiddenSize: $1) }
            case .lstm:
                result = try demo.run(kind: kind) { LSTMCell(inputSize: $0, hiddenSize: $1) }
            }
            results.append(result)
        }
        print("cell   loss(first→last epoch)  validation accuracy  reloaded from disk         seconds")
        for r in results {
            print(
                r.kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + "\(format(r.firstLoss)) → \(format(r.lastLoss))".padding(toLength: 24, withPad: " ", startingAt: 0)
                    + "\(format(r.accuracy * 100))%".padding(toLength: 21, withPad: " ", startingAt: 0)
                    + (r.reloadMatches ? "identical" : "DIFFERENT").padding(toLength: 27, withPad: " ", startingAt: 0)
                    + format(r.seconds))
        }
        print("weights: \(folder)")
        if results.contains(where: { !$0.reloadMatches }) { throw ExitCode.failure }
    }

    private func makeTemporaryFolder() -> String {
        var template = Array("/tmp/stmd-demo-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        return path ?? "/tmp"
    }
}

func format(_ value: Float) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}

/// Progress and diagnostics go to stderr; stdout carries results only.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
