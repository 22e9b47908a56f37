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
        let labelList: String = c.labels.map { "`\($0)`" }.joined(separator: ", ")
        let grid: String = c.stayProbabilities.map { String($0) }.joined(separator: ", ")
        var lines: [String] = ["# \(c.name) (version \(c.version))", ""]
        lines.append("Context-aware classification head for `\(c.baseModel)` (version \(c.baseModelVersion)), labels: \(labelList).")
        lines += ["", "## Model", ""]
        var reads = "- Reads the base model's document vector `e` (\(c.documentVectorSize) values) through the base model's own"
        reads += " linear head (a copy is stored under `base.head.`; the base bundle stays as it is), and the stream state"
        reads += " `s = [β; h]` (\(stateSize) values) left by the stream's previous documents."
        lines.append(reads)
        var filterLine = "- β: a Bayesian persistence filter (HMM forward filter over the label, averaged over stay probabilities"
        filterLine += " \(grid)) on temperature-scaled probabilities, T = \(c.temperature)."
        lines.append(filterLine)
        var gru = "- h: a GRU with \(c.hiddenSize) units reading `[log softmax(z/T); λ]`; logits = `z + T·λ + Σ_g w_g·p_g·U_g·h`,"
        gru += " where `z` are the base logits, λ the filter's centred class log-prior, w_g its belief in stay probability"
        gru += " p_g (so a stream without persistence gets no correction) and U_g one correction matrix per grid point."
        gru += " Both context terms vanish at `s = 0`, so an empty or fully decayed state gives the context-free"
        gru += " probabilities exactly."
        lines.append(gru)
        lines.append(
            "- Weights: F32, keys `context.cell.{wx,wh,bx,bh}`, `context.correction.weight` (`[G·C, H]`), `base.head.{weight,bias}`.")
        lines += ["", "## Data", "", dataDescription, "", "Licence (as the data's README states it): \(licence)"]
        if let t = c.training {
            let crossFitted = t.crossFitted ?? []
            let streamSize = t.streamLength.map { "\($0) documents" } ?? "every document"
            let persistences = t.persistences.map { String($0) }.joined(separator: ", ")
            lines += ["", "## Training", "", "```", t.command, "```", ""]
            lines.append("- Documents: \(t.documents) (`\(t.data)`, subset \(t.subset)), held out from the base model's training.")
            lines.append(
                "- Cross-fitted evidence the GRU also learned from (base-model replicas on documents they did not see): "
                    + (crossFitted.isEmpty ? "none." : crossFitted.joined(separator: "; ") + "."))
            lines.append(
                "- Streams: \(t.rounds) rounds × \(t.streamsPerRound) streams of \(streamSize), persistences \(persistences);"
                    + " truncated BPTT over \(t.window) documents.")
            if let blend = t.blend, blend != 1 {
                lines.append(
                    "- Blend \(blend): the trained head and the filter alone averaged in logit space with weights \(blend) and "
                        + "\(1 - blend) (the stored correction is scaled by \(blend)); the training accuracies below are the unblended head's.")
            }
            let before = String(format: "%.4f", t.temperatureLoss[0]), after = String(format: "%.4f", t.temperatureLoss[1])
            lines.append("- Temperature fit: cross-entropy \(before) at T = 1 → \(after) at T = \(c.temperature).")
            let accuracies = t.trainingAccuracy.map { String(format: "%.2f", 100 * $0) + "%" }
            lines.append(
                "- Last round's training streams: context-free \(accuracies[0]), filter \(accuracies[1]), head \(accuracies[2]).")
            lines.append("- Seed \(t.seed), \(String(format: "%.1f", t.trainingSeconds)) s of training on this machine.")
        }
        if let evaluation { lines += ["", "## Evaluation", "", evaluation] }
        return lines.joined(separator: "\n") + "\n"
    }
}
