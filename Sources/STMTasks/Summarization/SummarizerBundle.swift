public import STMModels
public import STMText
internal import Foundation

/// An extractive summarizer's bundle: the same four files as a classifier's (`config.json`, `vocabulary.json`,
/// `weights.safetensors`, `MODEL.md`), told apart by the configuration's `format` and `task`.
public enum SummarizerBundle {
    public static let weightsName = ClassifierBundle.weightsName

    /// Writes every file atomically (temporary file + rename), the weights before the card.
    public static func write(
        configuration: SummarizerConfiguration, vocabulary: Vocabulary, parameters: ExtractiveSummarizerModel.Parameters,
        to directory: String, dtype: SafetensorsDType, card: (_ weightBytes: Int) -> String
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(
            to: URL(fileURLWithPath: directory + "/" + ClassifierBundle.configurationName), options: .atomic)
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(vocabulary).write(
            to: URL(fileURLWithPath: directory + "/" + ClassifierBundle.vocabularyName), options: .atomic)
        try parameters.write(
            safetensorsTo: directory + "/" + weightsName, metadata: ["format": configuration.format, "model": configuration.name],
            dtype: dtype)
        let weightBytes = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + weightsName)[.size] as? Int) ?? 0
        try Data(card(weightBytes).utf8).write(
            to: URL(fileURLWithPath: directory + "/" + ClassifierBundle.cardName), options: .atomic)
    }

    public static func readConfiguration(from directory: String) throws(ModelLoadError) -> SummarizerConfiguration {
        let path = directory + "/" + ClassifierBundle.configurationName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        let configuration: SummarizerConfiguration
        do {
            configuration = try JSONDecoder().decode(SummarizerConfiguration.self, from: data)
        } catch {
            throw .invalid(path: path, reason: ClassifierBundle.describe(error))
        }
        guard configuration.format == SummarizerConfiguration.currentFormat else {
            throw .invalid(path: path, reason: "format '\(configuration.format)', expected '\(SummarizerConfiguration.currentFormat)'")
        }
        if let problem = configuration.validationError() { throw .invalid(path: path, reason: problem) }
        return configuration
    }

    /// The `format` field of a bundle's configuration (nil when unreadable), so listings can tell kinds apart.
    public static func format(of directory: String) -> String? {
        struct Format: Decodable { var format: String }
        guard let data = FileManager.default.contents(atPath: directory + "/" + ClassifierBundle.configurationName) else { return nil }
        return try? JSONDecoder().decode(Format.self, from: data).format
    }
}
