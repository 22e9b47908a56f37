public import Logging
public import STMTasks

/// The one log entry per processed document: a short human line plus journal fields that make the journal a
/// query interface — `journalctl -u stmd STM_STREAM=reviews STM_SENTIMENT=negative`.
///
/// Fields (as journal names): `STM_STREAM`, `STM_FILE` (the path inside the stream), `STM_SHA256`, and per task
/// `STM_<TASK>` (the label) and `STM_<TASK>_SCORE` (its probability, 3 decimals).
public struct DocumentLogEntry: Sendable {
    public var message: String
    public var metadata: Logger.Metadata

    public init(annotation: Annotation, stream: String, relativePath: String, display: String) {
        var metadata: Logger.Metadata = [
            "stream": .string(stream), "file": .string(relativePath), "sha256": .string(annotation.input.sha256),
        ]
        var parts: [String] = []
        for (task, result) in annotation.tasks.sorted(by: { $0.key < $1.key }) {
            guard case .classification(let classification) = result else { continue }
            let score = Self.threeDecimals(classification.score)
            metadata[task] = .string(classification.label)
            metadata[task + "_score"] = .string(score)
            parts.append("\(task) \(classification.label) (\(score))")
        }
        message = parts.isEmpty ? "\(display): annotated" : "\(display): " + parts.joined(separator: ", ")
        self.metadata = metadata
    }

    static func threeDecimals(_ value: Float) -> String {
        let thousandths = Int((Double(value) * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
