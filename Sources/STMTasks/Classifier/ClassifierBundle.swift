public import STMModels
public import STMText
import STMTensor
internal import Foundation

/// A model bundle on disk — one folder:
/// - `config.json`: `ClassifierConfiguration` (name, version, labels, shape, features, training record);
/// - `vocabulary.json`: the `Vocabulary`;
/// - `weights.safetensors`: the tensors (keys in docs/WEIGHTS.md), BF16 or F16 to keep bundles small;
/// - `MODEL.md`: the model card.
public enum ClassifierBundle {
    public static let configurationName = "config.json"
    public static let vocabularyName = "vocabulary.json"
    public static let weightsName = "weights.safetensors"
    public static let cardName = "MODEL.md"

    /// Writes every file atomically (temporary file + rename), the weights last.
    public static func write(
        _ trained: TrainedClassifier, record: TrainingRecord, to directory: String, dtype: SafetensorsDType,
        card: ModelCard
    ) throws {
        var configuration = trained.configuration
        configuration.training = record
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(to: URL(fileURLWithPath: directory + "/" + configurationName), options: .atomic)
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(trained.vocabulary).write(to: URL(fileURLWithPath: directory + "/" + vocabularyName), options: .atomic)
        try SafetensorsFile.write(
            tensors: trained.tensors, metadata: ["format": configuration.format, "model": configuration.name], dtype: dtype,
            to: directory + "/" + weightsName)
        let weightBytes = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + weightsName)[.size] as? Int) ?? 0
        let text = card.render(configuration: configuration, trained: trained, record: record, weightBytes: weightBytes, dtype: dtype)
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + cardName), options: .atomic)
    }

    /// Reads a bundle's configuration only (for listings).
    public static func readConfiguration(from directory: String) throws(ModelLoadError) -> ClassifierConfiguration {
        let path = directory + "/" + configurationName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        let configuration: ClassifierConfiguration
        do {
            configuration = try JSONDecoder().decode(ClassifierConfiguration.self, from: data)
        } catch {
            throw .invalid(path: path, reason: Self.describe(error))
        }
        guard configuration.format == ClassifierConfiguration.currentFormat else {
            throw .invalid(path: path, reason: "format '\(configuration.format)', expected '\(ClassifierConfiguration.currentFormat)'")
        }
        if let problem = configuration.validationError() { throw .invalid(path: path, reason: problem) }
        return configuration
    }

    static func readVocabulary(from directory: String) throws(ModelLoadError) -> Vocabulary {
        let path = directory + "/" + vocabularyName
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "no such file") }
        do {
            return try JSONDecoder().decode(Vocabulary.self, from: data)
        } catch {
            throw .invalid(path: path, reason: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): "not valid JSON: \(context.debugDescription)"
        default: String(describing: error)
        }
    }
}

/// Why a model could not be found or loaded.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)
    case notFound(name: String, searched: [String])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .invalid(let path, let reason): "\(path): \(reason)"
        case .notFound(let name, let searched):
            "no model named '\(name)' (looked in: \(searched.isEmpty ? "nowhere: no model folders configured" : searched.joined(separator: ", ")))"
        }
    }
}
