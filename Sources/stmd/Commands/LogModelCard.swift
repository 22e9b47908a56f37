import STMLogs

/// `MODEL.md` of a log model, written from the training run itself.
enum LogModelCard {
    static func render(
        _ configuration: LogModelConfiguration, record: LogModelConfiguration.TrainingRecord, templateCount: Int?,
        validation: (counts: DetectionCounts, data: [String])?, dataDescription: String?, licence: String?
    ) -> String {
        let detector = configuration.detector
        var lines = [
            "# \(configuration.name)",
            "",
            "Task: log anomaly detection (DeepLog, Du et al., CCS 2017). A line is anomalous when its template is not "
                + "among the model's top g = \(detector.candidates) predictions from the last h = \(detector.window) "
                + "templates or has a probability below \(detector.minimumProbability), or has no class in the model's vocabulary.",
            "",
            "## Model",
            "",
            "- Input: \(configuration.source == .keys ? "log keys given as integers" : "Drain template ids (`templates.json`, \(templateCount ?? 0) templates; \(configuration.skipFields) header fields skipped per line)").",
            "- \(configuration.embeddingSize)-dimensional template vectors → LSTM (hidden \(configuration.hiddenSize)) → linear over "
                + "\(configuration.vocabulary.capacity) classes (class 0: unknown; \(configuration.vocabulary.templateIds.count) templates; "
                + "\(configuration.vocabulary.capacity - configuration.vocabulary.assignedCount) spare classes for feedback).",
            "- Served one LSTM step per line with two staggered states (each reset every h lines); weights float32.",
            "",
            "## Data",
            "",
            dataDescription ?? "(no description given)",
            "",
            "Licence (as the data's source states it): \(licence ?? "not given")",
            "",
            "- Trained on: \(record.data.map { "`\($0)`" }.joined(separator: ", "))",
            "- \(record.sequences) sequences, \(record.lines) keys, \(record.windows) training windows",
            "",
            "## Training",
            "",
            "```",
            record.command,
            "```",
            "",
            "- \(record.options.epochs) epochs, batch \(record.options.batchSize), Adam learning rate \(record.options.learningRate), seed \(record.options.seed)",
            "- Final training loss \(record.finalLoss); \(Int(record.seconds.rounded())) s on \(record.threads) thread(s)",
            "",
        ]
        if let (counts, data) = validation {
            lines += [
                "## Validation",
                "",
                "Held-out sessions \(data.map { "`\($0)`" }.joined(separator: ", ")): a positive is an abnormal session.",
                "",
                "| precision | recall | F1 | false-positive rate | TP | FP | TN | FN |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                "| \(fixed(counts.precision, 4)) | \(fixed(counts.recall, 4)) | \(fixed(counts.f1, 4)) | \(fixed(counts.falsePositiveRate, 4)) "
                    + "| \(counts.truePositives) | \(counts.falsePositives) | \(counts.trueNegatives) | \(counts.falseNegatives) |",
                "",
            ]
        }
        lines.append("Evaluation: run `stmd eval logs --model DIR --normal FILE --abnormal FILE` on held-out sessions.")
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
