public import STMModels
public import STMText
internal import Foundation

/// A translator's bundle: `config.json`, `subwords.json` (the shared BPE vocabulary), `weights.safetensors`
/// (one embedding table for source, target and output) and `MODEL.md`.
public enum TranslatorBundle {
    public static let subwordsName = "subwords.json"

    /// Writes every file atomically, the weights before the card.
    public static func write(
        configuration: TranslatorConfiguration, subwords: BytePairEncoding, parameters: AttentionTranslatorModel.Parameters,
        to directory: String, dtype: SafetensorsDType, card: (_ weightBytes: Int) -> String
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(
            to: URL(fileURLWithPath: directory + "/" + ClassifierBundle.configurationName), options: .atomic)
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(subwords).write(to: URL(fileURLWithPath: directory + "/" + subwordsName), options: .atomic)
        let weightsPath = directory + "/" + ClassifierBundle.weightsName
        try parameters.write(
            safetensorsTo: weightsPath, metadata: ["format": configuration.format, "model": configuration.name], dtype: dtype)
        let weightBytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
        try Data(card(weightBytes).utf8).write(
            to: URL(fileURLWithPath: directory + "/" + ClassifierBundle.cardName), options: .atomic)
    }

    public static func readConfiguration(from directory: String) throws(ModelLoadError) -> TranslatorConfiguration {
        let path = directory + "/" + ClassifierBundle.configurationName
        let configuration: TranslatorConfiguration = try decode(path)
        guard configuration.format == TranslatorConfiguration.currentFormat else {
            throw .invalid(path: path, reason: "format '\(configuration.format)', expected '\(TranslatorConfiguration.currentFormat)'")
        }
        if let problem = configuration.validationError() { throw .invalid(path: path, reason: problem) }
        return configuration
    }

    public static func readSubwords(from directory: String) throws(ModelLoadError) -> BytePairEncoding {
        try decode(directory + "/" + subwordsName)
    }

    private static func decode<Value: Decodable>(_ path: String) throws(ModelLoadError) -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw .invalid(path: path, reason: ClassifierBundle.describe(error))
        }
    }
}
