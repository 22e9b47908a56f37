/// ROUGE-1, ROUGE-2 and ROUGE-L (Lin 2004) F-measures, computed as Google's `rouge-score` package does with
/// `use_stemmer=True`: lower-case, every run of characters outside `[a-z0-9]` is a separator, tokens longer
/// than 3 characters are Porter-stemmed (NLTK's variant); ROUGE-N counts clipped n-gram matches, ROUGE-L is the
/// longest common subsequence of the whole token sequences (`rougeL`, not the per-line `rougeLsum`).
public struct RougeScorer: Sendable {
    public let stemmer = PorterStemmer()

    public init() {}

    public func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(decoding: current, as: UTF8.self)
            tokens.append(current.count > 3 ? stemmer.stem(word) : word)
            current.removeAll(keepingCapacity: true)
        }
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                current.append(UInt8(scalar.value))
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// All three scores of `prediction` against `reference`.
    public func score(prediction: String, reference: String) -> RougeScores {
        let predicted = tokens(prediction), target = tokens(reference)
        return RougeScores(
            rouge1: Self.ngramScore(predicted, target, n: 1), rouge2: Self.ngramScore(predicted, target, n: 2),
            rougeL: Self.lcsScore(predicted, target))
    }

    static func ngramCounts(_ tokens: [String], n: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        if tokens.count >= n {
            for start in 0...(tokens.count - n) { counts[Array(tokens[start..<(start + n)]), default: 0] += 1 }
        }
        return counts
    }

    static func ngramScore(_ prediction: [String], _ target: [String], n: Int) -> RougeScore {
        let predicted = ngramCounts(prediction, n: n), reference = ngramCounts(target, n: n)
        let overlap = reference.reduce(0) { $0 + min($1.value, predicted[$1.key] ?? 0) }
        let predictedTotal = predicted.values.reduce(0, +), referenceTotal = reference.values.reduce(0, +)
        return RougeScore(
            precision: Double(overlap) / Double(max(predictedTotal, 1)), recall: Double(overlap) / Double(max(referenceTotal, 1)))
    }

    static func lcsScore(_ prediction: [String], _ target: [String]) -> RougeScore {
        guard !prediction.isEmpty, !target.isEmpty else { return RougeScore(precision: 0, recall: 0) }
        var previous = [Int](repeating: 0, count: prediction.count + 1)
        var current = previous
        for t in target {
            for (j, p) in prediction.enumerated() {
                current[j + 1] = t == p ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        let lcs = Double(previous[prediction.count])
        return RougeScore(precision: lcs / Double(prediction.count), recall: lcs / Double(target.count))
    }
}

public struct RougeScore: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double

    public init(precision: Double, recall: Double) {
        self.precision = precision
        self.recall = recall
    }

    /// Harmonic mean, 0 when both are 0 (as `rouge-score`'s `fmeasure`).
    public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }
}

public struct RougeScores: Sendable, Equatable {
    public var rouge1: RougeScore
    public var rouge2: RougeScore
    public var rougeL: RougeScore
}

/// Mean F1 of each ROUGE variant over a set of documents (the macro average `rouge-score` users report).
public struct RougeAverage: Sendable, Equatable, Codable {
    public var rouge1: Double = 0
    public var rouge2: Double = 0
    public var rougeL: Double = 0
    public var documents: Int = 0

    public init() {}

    public mutating func add(_ scores: RougeScores) {
        rouge1 += scores.rouge1.f1
        rouge2 += scores.rouge2.f1
        rougeL += scores.rougeL.f1
        documents += 1
    }

    /// The means (the sums divided by the document count).
    public var mean: RougeAverage {
        var out = self
        let n = Double(max(documents, 1))
        out.rouge1 /= n
        out.rouge2 /= n
        out.rougeL /= n
        return out
    }
}
