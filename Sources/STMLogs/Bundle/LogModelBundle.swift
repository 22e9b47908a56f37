internal import Foundation
import STMModels
import STMTensor

/// A log model on disk — one folder: `config.json` (`LogModelConfiguration`), `weights.safetensors`,
/// `templates.json` (the Drain state, for models over raw lines) and `MODEL.md`. Files are replaced atomically.
public struct LogModelBundle: Sendable {
    public static let configurationName = "config.json"
    public static let weightsName = "weights.safetensors"
    public static let templatesName = "templates.json"
    public static let cardName = "MODEL.md"

    public var configuration: LogModelConfiguration
    public var parameters: NextKeyModel.Parameters
    public var templates: TemplateMinerState?

    public init(
        configuration: LogModelConfiguration, parameters: NextKeyModel.Parameters, templates: TemplateMinerState?
    ) {
        self.configuration = configuration
        self.parameters = parameters
        self.templates = templates
    }

    /// A detector serving this model (its settings from the configuration unless given).
    public func makeDetector(settings: LogDetectorSettings? = nil) -> LogAnomalyDetector {
        LogAnomalyDetector(
            model: configuration.makeModel(), parameters: parameters, vocabulary: configuration.vocabulary,
            settings: settings ?? configuration.detector)
    }

    public func write(to directory: String, card: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(
            to: URL(fileURLWithPath: directory + "/" + Self.configurationName), options: .atomic)
        if let templates {
            try encoder.encode(templates).write(
                to: URL(fileURLWithPath: directory + "/" + Self.templatesName), options: .atomic)
        }
        try parameters.write(
            safetensorsTo: directory + "/" + Self.weightsName,
            metadata: ["format": configuration.format, "model": configuration.name])
        try Data(card.utf8).write(to: URL(fileURLWithPath: directory + "/" + Self.cardName), options: .atomic)
    }

    /// Reads and checks a bundle: every file present and parseable, every weight key and shape as configured.
    public init(directory: String) throws(LogModelError) {
        let configuration: LogModelConfiguration = try Self.decode(directory + "/" + Self.configurationName)
        if let problem = configuration.validationError {
            throw .invalid(path: directory + "/" + Self.configurationName, reason: problem)
        }
        var templates: TemplateMinerState?
        if configuration.source == .templates {
            let state: TemplateMinerState = try Self.decode(directory + "/" + Self.templatesName)
            do { _ = try TemplateMiner(state: state) } catch {
                throw .invalid(path: directory + "/" + Self.templatesName, reason: error.description)
            }
            templates = state
        }
        let model = configuration.makeModel()
        var generator = LoadTemplateGenerator()
        var parameters = model.makeParameters(using: &generator)
        do {
            try parameters.load(safetensorsFrom: directory + "/" + Self.weightsName)
        } catch {
            throw .invalid(path: directory + "/" + Self.weightsName, reason: "\(error)")
        }
        self.init(configuration: configuration, parameters: parameters, templates: templates)
    }

    private static func decode<T: Decodable>(_ path: String) throws(LogModelError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(
                path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .invalid(path: path, reason: "\(error)")
        }
    }
}

/// Why a log model bundle could not be read.
public enum LogModelError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason), .invalid(let path, let reason): "\(path): \(reason)"
        }
    }
}
