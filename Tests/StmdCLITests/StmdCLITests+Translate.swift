import Foundation
import STMTasks
import STMTesting
import Testing

/// `stmd train translate`, `eval translate` and `translate` run as the real binary on a toy language pair
/// whose "translation" swaps each word for its partner in a fixed dictionary.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(4)))
struct StmdTranslateCLITests {
    static let dictionary = [
        "dog": "hund", "cat": "katze", "man": "mann", "woman": "frau", "runs": "läuft", "sits": "sitzt", "red": "rot",
        "small": "klein", "the": "der", "a": "ein",
    ]

    /// `count` aligned lines of 2…5 words, a final period on each.
    static func makeCorpus(count: Int, seed: UInt64) -> (source: [String], target: [String]) {
        var generator = Corpus.Generator(seed: seed)
        let words = dictionary.keys.sorted()
        var source: [String] = [], target: [String] = []
        for _ in 0..<count {
            let sentence = (0..<(2 + generator.below(4))).map { _ in words[generator.below(words.count)] }
            source.append(sentence.joined(separator: " ") + ".")
            target.append(sentence.map { dictionary[$0]! }.joined(separator: " ") + ".")
        }
        return (source, target)
    }

    static func write(_ lines: [String], to path: String) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func trainResumeEvalAndTranslateOnAToyPair() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path
        let training = Self.makeCorpus(count: 400, seed: 3), validation = Self.makeCorpus(count: 40, seed: 4)
        try Self.write(training.source, to: path + "/train.src")
        try Self.write(training.target, to: path + "/train.tgt")
        try Self.write(validation.source, to: path + "/val.src")
        try Self.write(validation.target, to: path + "/val.tgt")
        let common = [
            "train", "translate", "--source", "train.src", "--target", "train.tgt", "--valid-source", "val.src", "--valid-target",
            "val.tgt", "--out", "model", "--merges", "200", "--embedding-size", "16", "--encoder-hidden", "16", "--decoder-hidden",
            "24", "--dropout", "0", "--batch-size", "16", "--learning-rate", "0.01", "--checkpoint-every", "10", "--bleu-lines", "40",
        ]
        let first = try await Stmd.run(common + ["--epochs", "2"], in: path, environment: ["STMD_THREADS": "1"], timeout: 120)
        try #require(first.exitedCleanly, "\(first)")
        #expect(first.stderr.contains("epoch 2: train loss"))
        let resumed = try await Stmd.run(common + ["--epochs", "8", "--resume"], in: path, environment: ["STMD_THREADS": "1"], timeout: 180)
        try #require(resumed.exitedCleanly, "\(resumed)")
        #expect(resumed.stderr.contains("resumed at epoch 3") && !resumed.stderr.contains("epoch 2: train loss"), "\(resumed.stderr)")
        for file in ["config.json", "subwords.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: path + "/model/" + file), "\(file)")
        }

        let eval = try await Stmd.run(
            ["eval", "translate", "--model", "model", "--source", "val.src", "--target", "val.tgt", "--json", "--beam", "3"], in: path)
        try #require(eval.exitedCleanly && eval.stdoutLines.count == 1, "\(eval)")
        let report = try JSON.object(eval.stdoutLines[0])
        #expect(report["lines"] as? Int == 40)
        let bleu = try #require(report["bleu"] as? Double)
        #expect(bleu > 80, "a word-for-word toy pair should be learned in 8 epochs: BLEU \(bleu)")

        // The reference decoding (float32, the model's own step) and the f32 fused path give the same lines; the
        // default (bf16 where the CPU has it) scores within half a BLEU point of them on this toy pair.
        var outputs: [String: [String]] = [:]
        for decoding in ["reference", "f32"] {
            let run = try await Stmd.run(
                ["eval", "translate", "--model", "model", "--source", "val.src", "--target", "val.tgt", "--json", "--beam", "3",
                 "--decoding", decoding, "--output", "out.\(decoding)"], in: path)
            try #require(run.exitedCleanly, "\(run)")
            let result = try JSON.object(run.stdoutLines[0])
            #expect(result["decoding"] as? String == decoding)
            #expect(abs((result["bleu"] as? Double ?? 0) - bleu) <= 0.5, "\(decoding): \(result)")
            outputs[decoding] = try String(contentsOfFile: path + "/out.\(decoding)", encoding: .utf8).components(separatedBy: "\n")
        }
        #expect(outputs["reference"] == outputs["f32"] && outputs["f32"]?.count == 41)
        let badDecoding = try await Stmd.run(
            ["eval", "translate", "--model", "model", "--source", "val.src", "--target", "val.tgt", "--decoding", "int4"], in: path)
        #expect(!badDecoding.exitedCleanly && badDecoding.stderr.contains("int4"), "\(badDecoding)")

        let listing = try await Stmd.run(["models", "--models", path], in: path)
        #expect(listing.stdout.contains("model  v1  translate") && listing.stdout.contains("en → de"), "\(listing)")

        // translate: one output line per input line, blank for blank, two sentences on one line stay on one line.
        let input = "the dog runs.\n\na small cat sits.\nthe man runs. The red dog sits!\n\n"
        let translated = try await Stmd.run(["translate", "--model", "model", "-"], in: path, input: Data(input.utf8))
        try #require(translated.exitedCleanly, "\(translated)")
        let lines = translated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6 && lines[1].isEmpty && lines[4].isEmpty && lines[5].isEmpty, "\(translated.stdout)")
        #expect(!lines[3].isEmpty, "\(translated.stdout)")
        #expect(lines[0].contains("hund") && lines[2].contains("katze"), "\(translated.stdout)")
    }

    @Test func badInputsNameTheFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path
        try Self.write(["a dog."], to: path + "/one")
        try Self.write(["a dog.", "a cat."], to: path + "/two")
        let mismatched = try await Stmd.run(
            ["train", "translate", "--source", "one", "--target", "two", "--valid-source", "one", "--valid-target", "one", "--out", "m"],
            in: path)
        #expect(!mismatched.exitedCleanly && mismatched.stderr.contains("two: 2 lines, but one has 1"), "\(mismatched)")
        let missing = try await Stmd.run(["translate", "--model", path + "/none", "absent.txt"], in: path)
        #expect(!missing.exitedCleanly && missing.stderr.contains("absent.txt"), "\(missing)")
        let noModel = try await Stmd.run(["eval", "translate", "--model", path + "/none", "--source", "one", "--target", "one"], in: path)
        #expect(!noModel.exitedCleanly && noModel.stderr.contains("none"), "\(noModel)")
        let noCheckpoint = try await Stmd.run(
            ["train", "translate", "--source", "one", "--target", "one", "--valid-source", "one", "--valid-target", "one", "--out", "m",
             "--resume"], in: path)
        #expect(!noCheckpoint.exitedCleanly && noCheckpoint.stderr.contains("no checkpoint"), "\(noCheckpoint)")
    }
}
