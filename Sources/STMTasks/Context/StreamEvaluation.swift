#if canImport(Glibc)
import Glibc
#endif
import STMTensor

/// Accuracy on label-persistent streams (`StreamOrder`) of held-out documents, for the context-free model, the
/// persistence filter over its probabilities, and a context head: each document is scored with the state the
/// previous documents of its stream left, then folded into the state (the daemon's order).
public struct StreamEvaluation: Sendable {
    /// One persistence's accuracies (fractions), one entry per stream seed.
    public struct Row: Sendable {
        public var persistence: Double
        public var contextFree: [Double] = []
        public var filter: [Double] = []
        public var head: [Double] = []
    }

    public let rows: [Row]
    public let documents: Int

    /// Streams over every document, for each persistence and each seed in `seeds`; `vectors[i]` is document i's
    /// base-model vector, `labels[i]` its index in `head.labels`.
    public init(head: ContextHead, vectors: [[Float]], labels: [Int], persistences: [Double], seeds: [UInt64]) {
        let logits = vectors.map { head.baseLogits(documentVector: $0) }
        let filter = head.filter
        var rows: [Row] = []
        for persistence in persistences {
            var row = Row(persistence: persistence)
            for seed in seeds {
                var generator = SplitMix64(seed: seed &* 0x9E37_79B9 &+ UInt64(persistence * 1000))
                let order = StreamOrder.make(labels: labels, persistence: persistence, using: &generator)
                var headState: [Float] = []
                var filterState: [Float] = []
                var correct = (contextFree: 0, filter: 0, head: 0)
                for index in order {
                    let label = labels[index]
                    if argmax(logits[index]) == label { correct.contextFree += 1 }
                    if argmax(filter.posterior(logits: logits[index], state: filterState[...])) == label { correct.filter += 1 }
                    filterState = filter.advance(state: filterState[...], logits: logits[index])
                    if argmax(head.probabilities(documentVector: vectors[index], state: headState)) == label { correct.head += 1 }
                    headState = head.advance(state: headState, documentVector: vectors[index])
                }
                let total = Double(order.count)
                row.contextFree.append(Double(correct.contextFree) / total)
                row.filter.append(Double(correct.filter) / total)
                row.head.append(Double(correct.head) / total)
            }
            rows.append(row)
        }
        self.rows = rows
        documents = labels.count
    }

    /// A Markdown table: mean accuracy (± standard deviation over seeds) and each method's gain over the
    /// context-free model in points (mean ± standard deviation of the per-seed differences).
    public func table() -> String {
        var lines = [
            "| persistence p | context-free | filter | context head | filter gain | head gain | head − filter |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in rows {
            let label = row.persistence == 0 ? "shuffled (0)" : String(row.persistence)
            let filterGain = zip(row.filter, row.contextFree).map { 100 * ($0 - $1) }
            let headGain = zip(row.head, row.contextFree).map { 100 * ($0 - $1) }
            let headOverFilter = zip(row.head, row.filter).map { 100 * ($0 - $1) }
            lines.append(
                "| \(label) | \(Self.percent(row.contextFree)) | \(Self.percent(row.filter)) | \(Self.percent(row.head)) | "
                    + "\(Self.points(filterGain)) | \(Self.points(headGain)) | \(Self.points(headOverFilter)) |")
        }
        return lines.joined(separator: "\n")
    }

    static func meanAndSpread(_ values: [Double]) -> (mean: Double, spread: Double) {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
        return (mean, variance.squareRoot())
    }

    static func percent(_ values: [Double]) -> String {
        let (mean, spread) = meanAndSpread(values.map { $0 * 100 })
        return format(mean, 2) + "% ± " + format(spread, 2)
    }

    static func points(_ values: [Double]) -> String {
        let (mean, spread) = meanAndSpread(values)
        return (mean >= 0 ? "+" : "") + format(mean, 2) + " ± " + format(spread, 2)
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        let scale = pow(10, Double(decimals))
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let have = text.distance(from: dot, to: text.endIndex) - 1
            if have < decimals { text += String(repeating: "0", count: decimals - have) }
        } else {
            text += "." + String(repeating: "0", count: decimals)
        }
        return text
    }
}
