internal import Foundation
import STMModels
import STMTensor

/// A stream's detector as bytes, for the daemon to store beside the stream's journal cursor (in the same
/// transaction): the weights, the vocabulary, the settings, the position in the learning period, the recent
/// history used by online updates and feedback, and both LSTM states — so after a restart the next line is
/// judged exactly as it would have been without one. Adam's moments are not kept: an update after a restart
/// starts them afresh.
///
/// Format: a safetensors file (`model.*` weights, `lane.<i>.h`/`.c`) whose metadata `detector` holds the rest
/// as JSON.
extension LogAnomalyDetector {
    static let checkpointFormat = "stmd-log-detector-1"

    struct CheckpointState: Codable {
        var format: String
        var settings: LogDetectorSettings
        var embeddingSize: Int
        var hiddenSize: Int
        var vocabulary: TemplateVocabulary
        var linesSeen: Int
        /// Absent in checkpoints written before a learning period could end early: then `settings.learningLines`.
        var learningLimit: Int?
        var laneAges: [Int]
        var resetAges: [Int]
        var recent: [Int]
        var recentCount: Int
        var history: [Int]
    }

    public func checkpoint() -> [UInt8] {
        let state = CheckpointState(
            format: Self.checkpointFormat, settings: settings, embeddingSize: model.embedding.dimension,
            hiddenSize: model.cell.hiddenSize, vocabulary: vocabulary, linesSeen: linesSeen,
            learningLimit: learningLimit, laneAges: lanes.map(\.age),
            resetAges: resetAges, recent: recent, recentCount: recentCount,
            history: Array(history.suffix(settings.historyLimit)))
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in parameters.namedTensors { tensors["model." + key] = tensor }
        for (index, lane) in lanes.enumerated() {
            tensors["lane.\(index).h"] = Tensor(lane.h)
            tensors["lane.\(index).c"] = Tensor(lane.c)
        }
        // Encoding a value of plain Codable fields cannot fail.
        let json = String(decoding: try! JSONEncoder().encode(state), as: UTF8.self)
        return SafetensorsFile.encode(tensors: tensors, metadata: ["format": Self.checkpointFormat, "detector": json])
    }

    /// Restores a detector from `checkpoint()`'s bytes; every shape is checked against the stored sizes.
    public init(checkpoint bytes: [UInt8]) throws(LogModelError) {
        let file: SafetensorsFile
        do { file = try SafetensorsFile.decode(bytes) } catch {
            throw .invalid(path: "detector checkpoint", reason: "\(error)")
        }
        guard file.metadata["format"] == Self.checkpointFormat, let json = file.metadata["detector"] else {
            throw .invalid(
                path: "detector checkpoint",
                reason: "format '\(file.metadata["format"] ?? "none")', expected '\(Self.checkpointFormat)'")
        }
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) } catch {
            throw .invalid(path: "detector checkpoint", reason: "\(error)")
        }
        if let problem = state.settings.validationError { throw .invalid(path: "detector checkpoint", reason: problem) }
        guard state.embeddingSize > 0, state.hiddenSize > 0, state.vocabulary.capacity >= 2, state.laneAges.count == 2,
            state.resetAges.count == 2, state.recent.count == state.settings.window
        else { throw .invalid(path: "detector checkpoint", reason: "inconsistent detector state") }
        let model = NextKeyModel(
            classCount: state.vocabulary.capacity, embeddingSize: state.embeddingSize, hiddenSize: state.hiddenSize)
        var generator = SplitMix64(seed: 0)
        var parameters = model.makeParameters(using: &generator)
        do { try parameters.load(from: file.tensors, prefix: "model.") } catch {
            throw .invalid(path: "detector checkpoint", reason: error.description)
        }
        self.init(model: model, parameters: parameters, vocabulary: state.vocabulary, settings: state.settings)
        for index in lanes.indices {
            guard let h = file.tensors["lane.\(index).h"], let c = file.tensors["lane.\(index).c"],
                h.shape == [state.hiddenSize], c.shape == [state.hiddenSize]
            else { throw .invalid(path: "detector checkpoint", reason: "missing or misshapen state of lane \(index)") }
            lanes[index].h = h.scalars
            lanes[index].c = c.scalars
            lanes[index].age = state.laneAges[index]
        }
        linesSeen = state.linesSeen
        learningLimit = state.learningLimit ?? state.settings.learningLines
        resetAges = state.resetAges
        recent = state.recent
        recentCount = state.recentCount
        history = state.history
        predictor.scores(lanes[0].age >= lanes[1].age ? lanes[0] : lanes[1], into: &scores)
    }
}
