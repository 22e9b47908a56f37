#if canImport(Glibc)
import Glibc
#endif

/// Corpus BLEU (Papineni et al. 2002) as sacrebleu computes it by default: one reference per segment, cased,
/// the `13a` tokenizer (mteval-v13a's), n-grams up to 4, the brevity penalty over the whole corpus, and the
/// `exp` smoothing (an n-gram order with no match counts as 1/(2^k·total) for the k-th such order).
public struct CorpusBLEU: Sendable, Equatable {
    public var matches = [Int](repeating: 0, count: 4)
    public var totals = [Int](repeating: 0, count: 4)
    public var hypothesisLength = 0
    public var referenceLength = 0

    public init() {}

    /// BLEU of `hypotheses` against `references` (same count, aligned by line).
    public init(hypotheses: [String], references: [String]) {
        precondition(hypotheses.count == references.count, "CorpusBLEU: \(hypotheses.count) hypotheses, \(references.count) references")
        for (hypothesis, reference) in zip(hypotheses, references) { add(hypothesis: hypothesis, reference: reference) }
    }

    public mutating func add(hypothesis: String, reference: String) {
        let h = Self.tokenize13a(hypothesis), r = Self.tokenize13a(reference)
        hypothesisLength += h.count
        referenceLength += r.count
        for n in 1...4 {
            let hypothesisCounts = Self.ngrams(h, n), referenceCounts = Self.ngrams(r, n)
            totals[n - 1] += max(h.count - n + 1, 0)
            for (gram, count) in hypothesisCounts { matches[n - 1] += min(count, referenceCounts[gram] ?? 0) }
        }
    }

    static func ngrams(_ tokens: [String], _ n: Int) -> [ArraySlice<String>: Int] {
        var counts: [ArraySlice<String>: Int] = [:]
        guard tokens.count >= n else { return counts }
        for start in 0...(tokens.count - n) { counts[tokens[start..<(start + n)], default: 0] += 1 }
        return counts
    }

    /// Percent precision per order, smoothed as sacrebleu's `exp` method.
    public var precisions: [Double] {
        var out = [Double](repeating: 0, count: 4)
        var smoothing = 1.0
        for n in 0..<4 {
            guard totals[n] > 0 else { break }
            if matches[n] == 0 {
                smoothing *= 2
                out[n] = 100 / (smoothing * Double(totals[n]))
            } else {
                out[n] = 100 * Double(matches[n]) / Double(totals[n])
            }
        }
        return out
    }

    public var brevityPenalty: Double {
        guard hypothesisLength > 0 else { return 0 }
        return hypothesisLength >= referenceLength ? 1 : exp(1 - Double(referenceLength) / Double(hypothesisLength))
    }

    /// BLEU in percent (0–100).
    public var score: Double {
        let logs = precisions.map { $0 > 0 ? log($0) : -9_999_999_999 }
        return brevityPenalty * exp(logs.reduce(0, +) / 4)
    }

    /// mteval-v13a tokenization as sacrebleu's `Tokenizer13a`: unescape a few entities, split off punctuation
    /// and symbols, split periods and commas except inside numbers, split a dash after a digit.
    public static func tokenize13a(_ line: String) -> [String] {
        var text = line.replacing("<skipped>", with: "").replacing("-\n", with: "").replacing("\n", with: " ")
        if text.contains("&") {
            text = text.replacing("&quot;", with: "\"").replacing("&amp;", with: "&").replacing("&lt;", with: "<")
                .replacing("&gt;", with: ">")
        }
        var scalars = Array(" \(text) ".unicodeScalars)
        scalars = scalars.flatMap { isSymbol($0) ? [" ", $0, " "] : [$0] }
        // Each rule as Python's re.sub: leftmost, non-overlapping two-scalar matches.
        scalars = substitute(scalars, { !isDigit($0) }, { $0 == "." || $0 == "," }) { a, b in [a, " ", b, " "] }
        scalars = substitute(scalars, { $0 == "." || $0 == "," }, { !isDigit($0) }) { a, b in [" ", a, " ", b] }
        scalars = substitute(scalars, isDigit, { $0 == "-" }) { a, b in [a, " ", b, " "] }
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in scalars {
            if isPythonSpace(scalar) {
                if !current.isEmpty { tokens.append(String(current)) }
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    private static func substitute(
        _ input: [Unicode.Scalar], _ first: (Unicode.Scalar) -> Bool, _ second: (Unicode.Scalar) -> Bool,
        _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count + 8)
        var i = 0
        while i < input.count {
            if i + 1 < input.count, first(input[i]), second(input[i + 1]) {
                out += replacement(input[i], input[i + 1])
                i += 2
            } else {
                out.append(input[i])
                i += 1
            }
        }
        return out
    }

    private static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }

    /// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: ASCII symbols except `'`, `-`, `.` and `,`.
    private static func isSymbol(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: true
        default: false
        }
    }

    /// Python's `str.split()` separators.
    private static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        (0x09...0x0D).contains(s.value) || (0x1C...0x1F).contains(s.value) || s.properties.isWhitespace
    }
}
