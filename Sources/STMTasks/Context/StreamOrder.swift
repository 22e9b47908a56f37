/// Orders labelled documents into a stream in which a label persists, as in a real folder where related items
/// arrive together: after each document, the next one keeps its label with probability `persistence` (a random
/// remaining document of that label), and otherwise is a random remaining document of any label (which may
/// have the same label). Persistence 0 is a plain shuffle. Every document appears exactly once; when a label's
/// documents run out the stream moves on to a random remaining one.
public enum StreamOrder {
    /// Indices into `labels`, in stream order.
    public static func make(labels: [Int], persistence: Double, using generator: inout some RandomNumberGenerator) -> [Int] {
        precondition((0...1).contains(persistence), "StreamOrder: persistence \(persistence) outside 0...1")
        var remaining = Array(labels.indices)
        remaining.shuffle(using: &generator)
        // Documents of each label in an order of their own, independent of `remaining`'s, so that the first
        // untaken document of `remaining` stays a uniform draw among the untaken ones.
        var byLabel: [Int: [Int]] = [:]
        for index in labels.indices { byLabel[labels[index], default: []].append(index) }
        for key in byLabel.keys.sorted() { byLabel[key]!.shuffle(using: &generator) }
        var taken = [Bool](repeating: false, count: labels.count)
        var order: [Int] = []
        order.reserveCapacity(labels.count)
        var next = remaining.first
        var cursor = 0
        while let current = next {
            order.append(current)
            taken[current] = true
            next = nil
            if Double.random(in: 0..<1, using: &generator) < persistence {
                while let candidate = byLabel[labels[current]]?.popLast() {
                    if !taken[candidate] {
                        next = candidate
                        break
                    }
                }
            }
            if next == nil {
                while cursor < remaining.count, taken[remaining[cursor]] { cursor += 1 }
                if cursor < remaining.count { next = remaining[cursor] }
            }
        }
        return order
    }
}
