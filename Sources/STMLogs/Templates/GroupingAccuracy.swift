/// Grouping accuracy, as the Drain and loghub benchmarks define it (Zhu et al., ICSE-SEIP 2019): a line is
/// parsed correctly when the set of lines sharing its parsed template is exactly the set sharing its true
/// template; the accuracy is the share of such lines.
public enum GroupingAccuracy {
    public static func measure(parsed: [Int], truth: [String]) -> Double {
        precondition(parsed.count == truth.count, "GroupingAccuracy: \(parsed.count) parsed for \(truth.count) true")
        guard !parsed.isEmpty else { return 0 }
        var truthSizes: [String: Int] = [:]
        for label in truth { truthSizes[label, default: 0] += 1 }
        var groups: [Int: [Int]] = [:]
        for (line, id) in parsed.enumerated() { groups[id, default: []].append(line) }
        var correct = 0
        for lines in groups.values {
            let label = truth[lines[0]]
            if lines.allSatisfy({ truth[$0] == label }) && truthSizes[label] == lines.count { correct += lines.count }
        }
        return Double(correct) / Double(parsed.count)
    }
}
