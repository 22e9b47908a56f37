import Foundation
import STMModels
import STMTensor
import STMTesting
import Testing

struct ModelDirectoryTests {
    @Test func configurationAndWeightsRoundTrip() throws {
        let folder = try TemporaryDirectory()
        let configuration = SequenceClassifierConfiguration(
            cell: .lstm, vocabularySize: 11, embeddingSize: 4, hiddenSize: 5, classCount: 3, layers: 2,
            bidirectional: true, pooling: .max)
        let model = configuration.makeModel { LSTMCell(inputSize: $0, hiddenSize: $1) }
        var generator = SplitMix64(seed: 1)
        let parameters = model.makeParameters(using: &generator)
        try ModelDirectory.write(configuration: configuration, parameters: parameters, to: folder.path + "/model")

        let loaded = try ModelDirectory.readConfiguration(from: folder.path + "/model")
        #expect(loaded == configuration)
        let rebuilt = loaded.makeModel { LSTMCell(inputSize: $0, hiddenSize: $1) }
        var weights = rebuilt.makeParameters(using: &generator)
        try ModelDirectory.loadWeights(into: &weights, from: folder.path + "/model")
        let batch = [[1, 2, 3], [4, 5], [10]]
        #expect(rebuilt.probabilities(batch, parameters: weights) == model.probabilities(batch, parameters: parameters))
    }

    @Test func missingOrForeignConfigurationIsNamed() throws {
        let folder = try TemporaryDirectory()
        #expect(throws: ModelDirectoryError.self) { try ModelDirectory.readConfiguration(from: folder.path) }
        try Data(#"{"format": "something-else"}"#.utf8).write(to: URL(fileURLWithPath: folder.path + "/config.json"))
        do {
            _ = try ModelDirectory.readConfiguration(from: folder.path)
            Issue.record("a foreign configuration was accepted")
        } catch {
            #expect("\(error)".contains("config.json"))
        }
    }
}
