import Foundation
import STMTensor
import Testing

/// A tensor as the reference scripts write it: `{"shape": [...], "data": [flat row-major numbers]}`.
struct FixtureTensor: Decodable, Sendable {
    let shape: [Int]
    let data: [Double]

    /// The values rounded to float32, as the engine holds them.
    var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
}

/// The results a fixture (or PyTorch, through `torch_compare.py`) expects from the engine.
struct ReferenceExpectation: Decodable, Sendable {
    /// Encoder outputs `[T, B, H·directions]`; the logits `[N, C]` for the linear case.
    let outputs: FixtureTensor?
    /// Keyed `"{layer}.{forward|backward}.{h|c}"`; absent for the linear case.
    let finalStates: [String: FixtureTensor]?
    let loss: Double
    /// `"input"`, `"initialState.h"`, `"initialState.c"` and each parameter key.
    let gradients: [String: FixtureTensor]
}

/// One file written by `Scripts/reference/rnn_reference.py`; its header documents every field.
struct ReferenceFixture: Decodable, Sendable {
    let generator: String
    let `case`: String
    /// `"elman-sigmoid"`, `"elman-tanh"`, `"gru"`, `"lstm"` or `"linear"`.
    let cell: String
    let inputSize: Int
    /// The class count for the linear case.
    let hiddenSize: Int
    let layers: Int
    let bidirectional: Bool
    let steps: Int?
    let batch: Int
    let lengths: [Int]?
    let input: FixtureTensor
    /// `"h"` and, for the LSTM, `"c"`: only single-layer unidirectional cases have one.
    let initialState: [String: FixtureTensor]?
    let parameters: [String: FixtureTensor]
    let outputWeights: FixtureTensor?
    let finalWeights: [String: FixtureTensor]?
    let labels: [Int]?
    let expected: ReferenceExpectation
}

/// Where the reference fixtures live and how to read them.
enum ReferenceFixtures {
    /// `Fixtures/reference` inside the test bundle (the target copies `Fixtures` as a resource).
    static var directory: URL? {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appending(path: "reference")
    }

    /// Case names (file names without `.json`), sorted; empty when the folder is missing, which
    /// `ReferenceTests.everyCaseIsPresent` turns into a failure.
    static func caseNames() -> [String] {
        guard let directory,
            let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path(percentEncoded: false))
        else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) }.sorted()
    }

    static func url(of name: String) throws -> URL {
        try #require(directory, "Fixtures folder missing from the test bundle").appending(path: "\(name).json")
    }

    static func load(_ name: String) throws -> ReferenceFixture {
        try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url(of: name)))
    }
}

/// Tensor-by-tensor comparison in the manner of llm.c's `check_tensor`: every tensor is compared with a label,
/// and a failure names the tensor, the number of elements out of tolerance, the largest absolute error and the
/// index of the worst element with both values. The caller keeps a summary line per tensor for the report.
struct TensorCheck {
    /// Elements pass when `|actual − expected| ≤ absoluteTolerance + relativeTolerance·|expected|`.
    let absoluteTolerance: Double
    let relativeTolerance: Double
    /// One line per compared tensor: label, shape, max abs error. Recorded as an attachment by the tests.
    private(set) var summary: [String] = []
    private(set) var worstAbsoluteError = 0.0

    init(absoluteTolerance: Double, relativeTolerance: Double) {
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
    }

    mutating func check(
        _ label: String, actual: Tensor, expected: FixtureTensor, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard actual.shape == expected.shape else {
            Issue.record("\(label): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
            return
        }
        var maxError = 0.0
        var worst = 0
        var failures = 0
        for (i, reference) in expected.data.enumerated() {
            let error = abs(Double(actual.scalars[i]) - reference)
            if error > absoluteTolerance + relativeTolerance * abs(reference) { failures += 1 }
            if error > maxError || i == 0 {
                maxError = error
                worst = i
            }
        }
        record(label, shape: expected.shape, maxError: maxError)
        if failures > 0 {
            let index = Self.index(ofFlat: worst, in: expected.shape)
            Issue.record(
                """
                \(label): \(failures) of \(expected.data.count) elements outside \(toleranceDescription); \
                max abs error \(maxError) at \(index) \
                (engine \(actual.scalars[worst]), expected \(expected.data[worst]))
                """, sourceLocation: sourceLocation)
        }
    }

    mutating func check(
        _ label: String, actual: Double, expected: Double, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = abs(actual - expected)
        record(label, shape: [], maxError: error)
        if error > absoluteTolerance + relativeTolerance * abs(expected) {
            Issue.record(
                "\(label): engine \(actual), expected \(expected), error \(error) outside \(toleranceDescription)",
                sourceLocation: sourceLocation)
        }
    }

    private var toleranceDescription: String { "|a−b| ≤ \(absoluteTolerance) + \(relativeTolerance)·|b|" }

    private mutating func record(_ label: String, shape: [Int], maxError: Double) {
        worstAbsoluteError = max(worstAbsoluteError, maxError)
        summary.append(
            "\(label.padding(toLength: 28, withPad: " ", startingAt: 0)) \(shape)  max abs error \(maxError)")
    }

    /// Row-major multi-index of a flat position.
    static func index(ofFlat flat: Int, in shape: [Int]) -> [Int] {
        var remainder = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
        }
        return index
    }
}
