import ArgumentParser
import Foundation
import STMTasks

/// Labelled documents for stream training or evaluation: a subset of a dataset, with the base model's
/// document vectors and class indices in the base model's label order.
struct StreamDocuments {
    var vectors: [[Float]]
    var labels: [Int]
    var texts: [String]

    /// `subset` is `all` or `k/n` (the examples whose position in the file, counted from 0, is k modulo n).
    static func load(_ path: String, subset: StreamSubset, classifier: TextClassifier) throws -> StreamDocuments {
        let dataset = try loadDataset(path, forTraining: false)
        let index = Dictionary(uniqueKeysWithValues: classifier.labels.enumerated().map { ($1, $0) })
        var texts: [String] = []
        var labels: [Int] = []
        for (position, example) in dataset.examples.enumerated() where subset.contains(position) {
            guard let label = index[example.label] else {
                throw CommandFailure(
                    "\(example.source): label '\(example.label)' is not one of the model's labels "
                        + "(\(classifier.labels.joined(separator: ", ")))")
            }
            texts.append(example.text)
            labels.append(label)
        }
        guard !texts.isEmpty else { throw CommandFailure("\(path): no examples in subset \(subset)") }
        return StreamDocuments(vectors: classifier.documentVectors(texts), labels: labels, texts: texts)
    }
}

/// `all` or `k/n`: which examples of a file a command uses (so that a head is trained on one part of a
/// held-out file and measured on another).
struct StreamSubset: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let part: Int
    let parts: Int

    init?(argument: String) {
        if argument == "all" {
            (part, parts) = (0, 1)
            return
        }
        let pieces = argument.split(separator: "/")
        guard pieces.count == 2, let k = Int(pieces[0]), let n = Int(pieces[1]), n >= 1, (0..<n).contains(k) else { return nil }
        (part, parts) = (k, n)
    }

    func contains(_ position: Int) -> Bool { position % parts == part }

    var description: String { parts == 1 ? "all" : "\(part)/\(parts)" }
}

/// A comma-separated list of persistences in 0...1.
func parsePersistences(_ text: String, option: String) throws -> [Double] {
    let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil && (0...1).contains($0!) }) else {
        throw ValidationError("\(option) must be comma-separated numbers in 0...1 (got '\(text)')")
    }
    return values.map { $0! }
}
