import STMModels
import STMText
import Foundation

/// The files of a resumable training run, kept in the output folder's `checkpoint/`: the trainer (weights,
/// Adam moments, position), the best epoch's weights, and the vocabulary and configuration they belong to
/// (so resuming with other data or other settings is refused instead of silently mixing runs).
struct CheckpointFiles {
    let directory: String

    var trainerPath: String { directory + "/trainer.safetensors" }
    var bestPath: String { directory + "/best.safetensors" }
    var statePath: String { directory + "/state.json" }

    struct State: Codable {
        var configuration: ClassifierConfiguration
        var vocabulary: Vocabulary
        var bestEpoch: Int
        var bestAccuracy: Double
        var bestLoss: Double
        var epochsWithoutImprovement: Int
        var seconds: Double
    }

    func save<Parameters: ParameterGroup>(
        trainer: Trainer<Parameters>, best: BestEpoch<Parameters>, vocabulary: Vocabulary, configuration: ClassifierConfiguration
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try best.parameters.write(safetensorsTo: bestPath)
        let state = State(
            configuration: configuration, vocabulary: vocabulary, bestEpoch: best.epoch, bestAccuracy: best.accuracy,
            bestLoss: best.loss, epochsWithoutImprovement: best.epochsWithoutImprovement, seconds: best.seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
        // The trainer file last: its presence marks a complete checkpoint.
        try trainer.saveCheckpoint(to: trainerPath)
    }

    func restore<Parameters: ParameterGroup>(
        into trainer: inout Trainer<Parameters>, best: inout BestEpoch<Parameters>, vocabulary: Vocabulary,
        configuration: ClassifierConfiguration
    ) throws {
        guard FileManager.default.fileExists(atPath: trainerPath),
            let data = FileManager.default.contents(atPath: statePath)
        else {
            throw TrainingError.checkpoint("--resume: no checkpoint in \(directory)")
        }
        let state: State
        do {
            state = try JSONDecoder().decode(State.self, from: data)
        } catch {
            throw TrainingError.checkpoint("\(statePath): unreadable (\(error))")
        }
        var stored = state.configuration, current = configuration
        stored.training = nil
        current.training = nil
        guard stored == current else {
            throw TrainingError.checkpoint("--resume: the model settings differ from the checkpoint's in \(directory)")
        }
        guard state.vocabulary == vocabulary else {
            throw TrainingError.checkpoint("--resume: the training data differs from the checkpoint's (its vocabulary changed)")
        }
        try trainer.resume(fromCheckpoint: trainerPath)
        var bestParameters = trainer.parameters
        try bestParameters.load(safetensorsFrom: bestPath)
        best.parameters = bestParameters
        best.epoch = state.bestEpoch
        best.accuracy = state.bestAccuracy
        best.loss = state.bestLoss
        best.epochsWithoutImprovement = state.epochsWithoutImprovement
        best.seconds = state.seconds
    }
}
