internal import Foundation

/// The shape of a `SequenceClassifier`, stored as `config.json` beside its `weights.safetensors`.
public struct SequenceClassifierConfiguration: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-sequence-classifier-1"

    public var format: String = currentFormat
    public var cell: CellKind
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var classCount: Int
    public var layers: Int
    public var bidirectional: Bool
    public var pooling: Pooling
    public var dropout: Float

    public init(
        cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, classCount: Int, layers: Int = 1,
        bidirectional: Bool = false, pooling: Pooling = .last, dropout: Float = 0
    ) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.classCount = classCount
        self.layers = layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
    }

    /// The model this configuration describes, for a cell type that matches `cell`.
    public func makeModel<Cell: RecurrentCell>(
        _ makeCell: @escaping (_ inputSize: Int, _ hiddenSize: Int) -> Cell
    ) -> SequenceClassifier<Cell> {
        SequenceClassifier(
            vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
            classCount: classCount, layers: layers, bidirectional: bidirectional, pooling: pooling,
            dropout: dropout, makeCell: makeCell)
    }
}

/// A model directory: `config.json` (the shape) and `weights.safetensors` (the tensors, keys as in
/// docs/WEIGHTS.md). Both are written atomically; loading checks the format tag, every key and every shape.
public enum ModelDirectory {
    public static let configurationName = "config.json"
    public static let weightsName = "weights.safetensors"

    public static func write<Parameters: ParameterGroup>(
        configuration: SequenceClassifierConfiguration, parameters: Parameters, to directory: String,
        dtype: SafetensorsDType = .f32
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(configuration)
        // .atomic: written to a temporary file in the same folder, then renamed over the old one.
        try json.write(to: URL(fileURLWithPath: directory + "/" + configurationName), options: .atomic)
        try parameters.write(safetensorsTo: directory + "/" + weightsName, metadata: ["format": configuration.format], dtype: dtype)
    }

    public static func readConfiguration(from directory: String) throws -> SequenceClassifierConfiguration {
        let path = directory + "/" + configurationName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelDirectoryError.missingFile(path: path)
        }
        let configuration: SequenceClassifierConfiguration
        do {
            configuration = try JSONDecoder().decode(SequenceClassifierConfiguration.self, from: data)
        } catch {
            throw ModelDirectoryError.badConfiguration(path: path, reason: "\(error)")
        }
        guard configuration.format == SequenceClassifierConfiguration.currentFormat else {
            throw ModelDirectoryError.badConfiguration(path: path, reason: "unknown format '\(configuration.format)'")
        }
        return configuration
    }

    /// Loads the weights into `parameters` (built from the directory's configuration).
    public static func loadWeights<Parameters: ParameterGroup>(into parameters: inout Parameters, from directory: String) throws {
        try parameters.load(safetensorsFrom: directory + "/" + weightsName)
    }
}

public enum ModelDirectoryError: Error, CustomStringConvertible {
    case missingFile(path: String)
    case badConfiguration(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file"
        case .badConfiguration(let path, let reason): return "\(path): \(reason)"
        }
    }
}
