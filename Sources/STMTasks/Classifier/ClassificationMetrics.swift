/// Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of a set of predictions.
public struct ClassificationMetrics: Sendable, Equatable {
    public let labels: [String]
    /// `confusion[truth][prediction]`: counts.
    public let confusion: [[Int]]

    public init(labels: [String], truths: [Int], predictions: [Int]) {
        precondition(truths.count == predictions.count, "ClassificationMetrics: \(truths.count) truths, \(predictions.count) predictions")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (truth, prediction) in zip(truths, predictions) { confusion[truth][prediction] += 1 }
        self.labels = labels
        self.confusion = confusion
    }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { labels.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    public func precision(_ c: Int) -> Double {
        let predicted = labels.indices.reduce(0) { $0 + confusion[$1][c] }
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }

    public func recall(_ c: Int) -> Double {
        let actual = confusion[c].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
    }

    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// Unweighted mean of the per-class F1 over the classes present in the truths or the predictions
    /// (scikit-learn's `f1_score(average="macro")` over the labels that occur).
    public var macroF1: Double {
        let present = labels.indices.filter { c in
            confusion[c].reduce(0, +) > 0 || labels.indices.contains { confusion[$0][c] > 0 }
        }
        return present.isEmpty ? 0 : present.reduce(0) { $0 + f1($1) } / Double(present.count)
    }

    public var summary: MetricsSummary { MetricsSummary(accuracy: accuracy, macroF1: macroF1, examples: total) }

    /// A plain-text report: accuracy, macro-F1, per-class scores and the confusion matrix (rows: truth).
    public func report() -> String {
        var lines = [
            "examples  \(total)",
            "accuracy  \(Self.percent(accuracy))",
            "macro-F1  \(Self.percent(macroF1))",
            "",
        ]
        let width = max(9, labels.map(\.count).max() ?? 0)
        lines.append(Self.pad("class", width) + "  precision  recall      F1  support")
        for c in labels.indices {
            lines.append(
                Self.pad(labels[c], width) + "  " + Self.left(Self.percent(precision(c)), 9) + "  "
                    + Self.left(Self.percent(recall(c)), 6) + "  " + Self.left(Self.percent(f1(c)), 6) + "  "
                    + Self.left(String(confusion[c].reduce(0, +)), 7))
        }
        lines.append("")
        lines.append("confusion (rows: true label, columns: predicted)")
        let cell = max(6, labels.map(\.count).max() ?? 0)
        lines.append(Self.pad("", width) + labels.map { "  " + Self.left($0, cell) }.joined())
        for c in labels.indices {
            lines.append(Self.pad(labels[c], width) + confusion[c].map { "  " + Self.left(String($0), cell) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func left(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
