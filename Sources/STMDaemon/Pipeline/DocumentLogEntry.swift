public import Logging
public import STMTasks

/// The one log entry per processed document: a short human line plus journal fields that make the journal a
/// query interface — `journalctl -u stmd STM_STREAM=reviews STM_SENTIMENT=negative`.
///
/// Fields (as journal names): `STM_STREAM`, `STM_FILE` (the path inside the stream), `STM_SHA256`, per task
/// `STM_<TASK>` (the label) and `STM_<TASK>_SCORE` (its probability, 3 decimals) for a classification,
/// `STM_<TASK>_SENTENCES` for a summary (sentences chosen) or a translation (sentences translated), and with stream memory
/// `STM_NOVELTY`, `STM_NEAR_DUPLICATE` (0/1), `STM_DRIFT` (`none` or the detectors that fired) and
/// `STM_MEMORY_SEQUENCE`.
public struct DocumentLogEntry: Sendable {
    public var message: String
    public var metadata: Logger.Metadata

    public init(annotation: Annotation, stream: String, relativePath: String, display: String) {
        var metadata: Logger.Metadata = [
            "stream": .string(stream), "file": .string(relativePath), "sha256": .string(annotation.input.sha256),
        ]
        var parts: [String] = []
        for (task, result) in annotation.tasks.sorted(by: { $0.key < $1.key }) {
            switch result {
            case .classification(let classification):
                let score = Self.threeDecimals(classification.score)
                metadata[task] = .string(classification.label)
                metadata[task + "_score"] = .string(score)
                parts.append("\(task) \(classification.label) (\(score))")
            case .summary(let summary):
                metadata[task + "_sentences"] = .string(String(summary.sentences.count))
                parts.append("\(task) \(summary.sentences.count) of \(summary.candidates) sentences")
            case .translation(let translation):
                metadata[task + "_sentences"] = .string(String(translation.sentences))
                parts.append(
                    "\(task) \(translation.sourceLanguage)→\(translation.targetLanguage) \(translation.sentences) sentences"
                        + (translation.truncated ? " (truncated)" : ""))
            case .unrecognized:
                continue
            }
        }
        message = parts.isEmpty ? "\(display): annotated" : "\(display): " + parts.joined(separator: ", ")
        if let memory = annotation.memory {
            let novelty = Self.threeDecimals(Float(memory.novelty))
            let drift = memory.drift.alert ? Self.driftSignals(memory.drift).joined(separator: ",") : "none"
            metadata["novelty"] = .string(novelty)
            metadata["near_duplicate"] = .string(memory.nearDuplicate ? "1" : "0")
            metadata["drift"] = .string(drift)
            metadata["memory_sequence"] = .string(String(memory.sequence))
            message += " (memory #\(memory.sequence), novelty \(novelty)\(memory.nearDuplicate ? ", near-duplicate" : ""), drift \(drift))"
        }
        self.metadata = metadata
    }

    /// `sentiment up`, `topic down`: the detectors that raised the alert.
    static func driftSignals(_ drift: Annotation.MemorySection.Drift) -> [String] {
        [("sentiment", drift.sentiment), ("topic", drift.topic)]
            .compactMap { name, signal in signal?.alert == true ? "\(name) \(signal?.direction ?? "")" : nil }
    }

    static func threeDecimals(_ value: Float) -> String {
        let thousandths = Int((Double(value) * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
