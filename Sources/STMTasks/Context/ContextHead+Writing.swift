public import STMModels
import STMTensor
internal import Foundation

extension ContextHead {
    /// A head from trained weights and the base model's linear head (not yet on disk).
    public convenience init(
        configuration: ContextHeadConfiguration, trained: ContextHeadModel.Parameters, baseHead: Linear.Parameters
    ) {
        self.init(configuration: configuration, parameters: trained, base: baseHead)
    }

    /// Writes the bundle to `directory` atomically, file by file (config, weights, then the card): F32 weights
    /// under `context.` and the base head's copy under `base.head.`.
    public func write(to directory: String, card: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(
            to: URL(fileURLWithPath: directory + "/" + Self.configurationName), options: .atomic)
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in parameters.namedTensors { tensors["context." + key] = tensor }
        for (key, tensor) in base.namedTensors { tensors["base.head." + key] = tensor }
        try SafetensorsFile.write(
            tensors: tensors, metadata: ["format": configuration.format, "model": configuration.name], dtype: .f32,
            to: directory + "/" + Self.weightsName)
        try Data(card.utf8).write(to: URL(fileURLWithPath: directory + "/" + Self.cardName), options: .atomic)
    }

    /// The model card: what the head is, how it was trained, and what it measured.
    public func renderCard(dataDescription: String, licence: String, evaluation: String?) -> String {
        let c = configuration
        var lines = [
            "# \(c.name) (version \(c.version))", "",
            "Context-aware classification head for `\(c.baseModel)` (version \(c.baseModelVersion)), labels: "
                + c.labels.map { "`\($0)`" }.joined(separator: ", ") + ".", "",
            "## Model", "",
            "- Reads the base model's document vector `e` (\(c.documentVectorSize) values) through the base model's own "
                + "linear head (a copy is stored under `base.head.`; the base bundle stays as it is), and the stream state "
                + "`s = [β; h]` (\(stateSize) values) left by the stream's previous documents.",
            "- β: a Bayesian persistence filter (HMM forward filter over the label, averaged over stay probabilities "
                + c.stayProbabilities.map { String($0) }.joined(separator: ", ") + ") on temperature-scaled probabilities, "
                + "T = \(c.temperature).",
            "- h: a GRU with \(c.hiddenSize) units reading `[log softmax(z/T); λ]`; logits = `z + T·λ + U·h`, where "
                + "`z` are the base logits and λ the filter's centred class log-prior. Both context terms vanish at `s = 0`, "
                + "so an empty or fully decayed state gives the context-free probabilities exactly.",
            "- Weights: F32, keys `context.cell.{wx,wh,bx,bh}`, `context.correction.weight`, `base.head.{weight,bias}`.",
            "", "## Data", "", dataDescription, "", "Licence (as the data's README states it): \(licence)",
        ]
        if let t = c.training {
            lines += [
                "", "## Training", "", "```", t.command, "```", "",
                "- Documents: \(t.documents) (`\(t.data)`, subset \(t.subset)), held out from the base model's training.",
                "- Cross-fitted evidence the GRU also learned from (base-model replicas on documents they did not see): "
                    + ((t.crossFitted ?? []).isEmpty ? "none." : (t.crossFitted ?? []).joined(separator: "; ") + "."),
                "- Streams: \(t.rounds) rounds × \(t.streamsPerRound) streams of "
                    + (t.streamLength.map { "\($0) documents" } ?? "every document") + ", persistences "
                    + t.persistences.map { String($0) }.joined(separator: ", ") + "; truncated BPTT over \(t.window) documents.",
                "- Temperature fit: cross-entropy \(String(format: "%.4f", t.temperatureLoss[0])) at T = 1 → "
                    + "\(String(format: "%.4f", t.temperatureLoss[1])) at T = \(c.temperature).",
                "- Last round's training streams: context-free \(String(format: "%.2f", 100 * t.trainingAccuracy[0]))%, "
                    + "filter \(String(format: "%.2f", 100 * t.trainingAccuracy[1]))%, "
                    + "head \(String(format: "%.2f", 100 * t.trainingAccuracy[2]))%.",
                "- Seed \(t.seed), \(String(format: "%.1f", t.trainingSeconds)) s of training on this machine.",
            ]
        }
        if let evaluation { lines += ["", "## Evaluation", "", evaluation] }
        return lines.joined(separator: "\n") + "\n"
    }
}
