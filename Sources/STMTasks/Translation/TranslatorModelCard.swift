import Foundation

/// The `MODEL.md` of a translator bundle: what it is, how it was trained, and what it measured.
public enum TranslatorModelCard {
    public static func render(
        configuration: TranslatorConfiguration, subwordCount: Int, parameterCount: Int, weightBytes: Int, dtype: String,
        command: String, trainingPairs: Int, bestEpoch: Int, validationBLEU: Double, bleuLines: Int, seconds: Double, threads: Int
    ) -> String {
        """
        # \(configuration.name)

        Translation \(configuration.sourceLanguage) → \(configuration.targetLanguage): bidirectional GRU encoder \
        (\(configuration.encoderHiddenSize) per direction), GRU decoder (\(configuration.decoderHiddenSize)) with Luong \
        attention, embeddings of \(configuration.embeddingSize) tied between source, target and output over one shared BPE \
        vocabulary of \(subwordCount) subwords (unseen characters are spelled as bytes, never `<unk>`).

        - Parameters: \(parameterCount); weights: \(weightBytes) bytes (\(dtype)).
        - Decoding: beam \(configuration.beamWidth), GNMT length penalty α = \(configuration.lengthPenalty).
        - Training: \(trainingPairs) sentence pairs; best epoch \(bestEpoch); \(Int(seconds)) s on \(threads) thread(s).
        - Validation: greedy BLEU \(String(format: "%.2f", validationBLEU)) on the first \(bleuLines) validation lines \
        (sacrebleu default: cased, 13a). Run `stmd eval translate` for the full, beam-searched score.

        Command: `\(command)`
        """
    }
}
