#if canImport(Glibc)
import Glibc
#endif
public import STMModels
public import STMTensor
import STMText

/// The n-gram member of a bundle (see `NgramSettings`): tokens → hashed TF-IDF features → class probabilities.
///
/// Features, as scikit-learn's `TfidfVectorizer(sublinear_tf=True)` computes them, in two groups each scaled to
/// unit length: word unigrams and bigrams (rows `[0, wordBuckets)`) and character n-grams of each word (rows
/// after them). A value is `(1 + ln count) · idf`, with the smoothed `idf = ln((1 + n) / (1 + df)) + 1` of the
/// training documents. Hashing is FNV-1a, so features are the same on every platform.
public struct NgramClassifier: Sendable {
    public let settings: NgramSettings
    /// `[featureCount]`: each row's inverse document frequency.
    public var inverseDocumentFrequency: Tensor
    /// `[featureCount, classes]`.
    public var weight: Tensor
    /// `[classes]`.
    public var bias: Tensor

    /// Weight keys in the bundle's safetensors file.
    public static let keyPrefix = "ngram."

    public init(settings: NgramSettings, inverseDocumentFrequency: Tensor, weight: Tensor, bias: Tensor) {
        precondition(inverseDocumentFrequency.count == settings.featureCount, "NgramClassifier: idf \(inverseDocumentFrequency.shape)")
        precondition(weight.shape == [settings.featureCount, bias.count], "NgramClassifier: weight \(weight.shape)")
        self.settings = settings
        self.inverseDocumentFrequency = inverseDocumentFrequency
        self.weight = weight
        self.bias = bias
    }

    /// Reads the member's tensors (keys `ngram.idf`, `ngram.weight`, `ngram.bias`), checking their shapes.
    public init(settings: NgramSettings, classes: Int, tensors: [String: Tensor]) throws(ParameterLoadError) {
        let shapes = [("idf", [settings.featureCount]), ("weight", [settings.featureCount, classes]), ("bias", [classes])]
        var loaded: [Tensor] = []
        for (name, shape) in shapes {
            let key = Self.keyPrefix + name
            guard let tensor = tensors[key] else { throw .missingKey(key) }
            guard tensor.shape == shape else { throw .mismatchedShape(key: key, expected: shape, actual: tensor.shape) }
            loaded.append(tensor)
        }
        self.init(settings: settings, inverseDocumentFrequency: loaded[0], weight: loaded[1], bias: loaded[2])
    }

    /// The tensors to store, by key.
    public var tensors: [String: Tensor] {
        [Self.keyPrefix + "idf": inverseDocumentFrequency, Self.keyPrefix + "weight": weight, Self.keyPrefix + "bias": bias]
    }

    public var classCount: Int { bias.count }

    /// Class probabilities for a tokenized document (with a scratch counter of its own; a caller classifying
    /// many documents passes one it keeps).
    public func probabilities(tokens: some Collection<String>) -> [Float] {
        probabilities(tokens: tokens, counter: NgramCounter(settings: settings))
    }

    func probabilities(tokens: some Collection<String>, counter: NgramCounter) -> [Float] {
        probabilities(features(counter.count(tokens: tokens)))
    }

    /// TF-IDF features, each group scaled to unit length, from a document's counted rows (in the counter's
    /// order, so every sum runs in the same order in every process).
    func features(_ counted: (rows: [Int], counts: [Float], wordRowCount: Int)) -> SparseFeatures {
        var values = [Float](repeating: 0, count: counted.rows.count)
        for group in [0..<counted.wordRowCount, counted.wordRowCount..<counted.rows.count] {
            var squares: Float = 0
            for i in group {
                let value = Self.sublinear(counted.counts[i]) * inverseDocumentFrequency[flat: counted.rows[i]]
                values[i] = value
                squares += value * value
            }
            guard squares > 0 else { continue }
            let scale = 1 / squares.squareRoot()
            for i in group { values[i] *= scale }
        }
        return SparseFeatures(indices: counted.rows, values: values)
    }

    /// `1 + ln count`, from a table for the small counts nearly every n-gram has.
    static func sublinear(_ count: Float) -> Float {
        let index = Int(count)
        return index < sublinearTable.count && Float(index) == count ? sublinearTable[index] : 1 + logf(count)
    }

    private static let sublinearTable: [Float] = (0..<64).map { $0 == 0 ? 0 : 1 + logf(Float($0)) }

    func probabilities(_ features: SparseFeatures) -> [Float] {
        var logits = bias.scalars
        let classes = logits.count
        weight.scalars.withUnsafeBufferPointer { w in
            logits.withUnsafeMutableBufferPointer { sums in
                for (row, value) in zip(features.indices, features.values) {
                    let base = row * classes
                    for c in 0..<classes { sums[c] += value * w[base + c] }
                }
            }
        }
        let largest = logits.max() ?? 0
        var total: Float = 0
        for c in 0..<classes {
            logits[c] = expf(logits[c] - largest)
            total += logits[c]
        }
        return logits.map { $0 / total }
    }
}

/// A sparse feature vector: distinct row indices (in the order the counter found them) and their values.
struct SparseFeatures: Sendable {
    var indices: [Int]
    var values: [Float]
}
