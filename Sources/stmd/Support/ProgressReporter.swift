import Foundation
import STMTasks

#if canImport(Glibc)
import Glibc
#endif

/// Training progress on stderr: a live bar redrawn in place on a terminal; on a pipe or file, plain lines
/// (every tenth of an epoch and at each epoch's end) so logs stay readable.
final class ProgressReporter {
    private let isTerminal = isatty(STDERR_FILENO) == 1

    func handle(_ event: TrainingEvent) {
        switch event {
        case .started(let training, let validation, let vocabulary, let parameters, let batches):
            line("training on \(training) examples, validating on \(validation); vocabulary \(vocabulary); "
                + "\(parameters) parameters; \(batches) batches per epoch")
        case .embeddings(let found, let vocabulary, let path):
            line("word vectors \(path): \(found) of \(vocabulary) vocabulary words found "
                + "(\(percent(Double(found) / Double(max(1, vocabulary))))) ")
        case .memberStarted(let index, let count):
            line("ensemble member \(index + 1) of \(count)")
        case .resumed(let epoch):
            line("resumed from the checkpoint after epoch \(epoch)")
        case .step(let step):
            if isTerminal {
                let width = 24
                let filled = step.batches == 0 ? 0 : width * step.batch / step.batches
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                let text = "epoch \(step.epoch)/\(step.epochs) [\(bar)] \(step.batch)/\(step.batches) "
                    + "loss \(fixed(step.loss, 4)) \(rate(step.tokensPerSecond)) tok/s ETA \(duration(step.remainingSeconds))"
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            } else {
                let mark = max(1, step.batches / 10)
                if step.batch % mark == 0 && step.batch < step.batches {
                    line("epoch \(step.epoch)/\(step.epochs) step \(step.batch)/\(step.batches) loss \(fixed(step.loss, 4)) "
                        + "\(rate(step.tokensPerSecond)) tok/s ETA \(duration(step.remainingSeconds))")
                }
            }
        case .epochFinished(let epoch, let trainingLoss, let validation, let validationLoss, let improved, let seconds):
            line("epoch \(epoch): loss \(fixed(trainingLoss, 4)), validation loss \(fixed(validationLoss, 4)), "
                + "accuracy \(percent(validation.accuracy)), macro-F1 \(percent(validation.macroF1))"
                + "\(improved ? " (best so far)" : ""), \(fixed(seconds, 1)) s")
        case .stoppedEarly(let epoch, let bestEpoch):
            line("stopped after epoch \(epoch): no better validation accuracy since epoch \(bestEpoch)")
        case .ngramStarted:
            line("n-gram member: fitting the logistic regression")
        case .ngramFinished(let trainingLoss, let validation):
            line("n-gram member: training loss \(fixed(trainingLoss, 4)), validation accuracy \(percent(validation.accuracy)), "
                + "macro-F1 \(percent(validation.macroF1))")
        }
    }

    private func line(_ text: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }
}

func percent(_ value: Double) -> String { fixed(value * 100, 1) + "%" }

func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
        if decimals == 0 { text = String(text[..<dot]) }
    }
    return text
}

func rate(_ value: Double) -> String { value >= 1000 ? fixed(value / 1000, 1) + "k" : fixed(value, 0) }

func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
}
