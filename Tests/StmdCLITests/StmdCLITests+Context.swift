import Foundation
import STMTesting
import Testing

extension StmdCLITests {
    // MARK: Context heads

    @Test func trainContextThenEvalStreams() async throws {
        let fixture = try trained()
        let out = try fixture.scratch("context") + "/tiny-context"
        let training = try await Stmd.run(
            [
                "train", "context", "--base", fixture.bundle, "--data", fixture.data + "/test.tsv", "--subset", "0/2",
                "--out", out, "--rounds", "2", "--hidden", "4", "--eval-subset", "1/2", "--eval-seeds", "2",
            ], in: fixture.root.path)
        try #require(training.exitedCleanly, "\(training)")
        for file in ["config.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        #expect(training.stdout.contains("| 0.95 |") && training.stdout.contains("| shuffled (0) |"), "\(training)")
        let card = try String(contentsOfFile: out + "/MODEL.md", encoding: .utf8)
        #expect(card.contains("Context-aware classification head for `\(fixture.modelName)`") && card.contains("## Evaluation"))

        let evaluation = try await Stmd.run(
            [
                "eval", "streams", "--context-head", out, "--model", fixture.bundle, "--data", fixture.data + "/test.tsv",
                "--subset", "1/2", "--persistence", "0.9,0", "--seeds", "3",
            ], in: fixture.root.path)
        try #require(evaluation.exitedCleanly, "\(evaluation)")
        #expect(evaluation.stdout.contains("| 0.9 |") && evaluation.stdout.contains("| shuffled (0) |"), "\(evaluation)")
        #expect(evaluation.stdout.contains("3 streams per persistence"))
    }

    @Test func contextCommandsNameTheirBadInput() async throws {
        let fixture = try trained()
        let scratch = try fixture.scratch("context-bad")
        let bad = scratch + "/bad.tsv"
        try write("a story about nothing\tnot-a-label\n", to: bad)
        let unknownLabel = try await Stmd.run(
            ["train", "context", "--base", fixture.bundle, "--data", bad, "--out", scratch + "/head"], in: fixture.root.path)
        #expect(unknownLabel.status == 1)
        #expect(unknownLabel.stderr.contains("bad.tsv:1") && unknownLabel.stderr.contains("not-a-label"), "\(unknownLabel)")

        let unpaired = try await Stmd.run(
            [
                "train", "context", "--base", fixture.bundle, "--data", fixture.data + "/test.tsv", "--out",
                scratch + "/head", "--cross-fit-model", fixture.bundle,
            ], in: fixture.root.path)
        #expect(unpaired.status != 0 && unpaired.stderr.contains("--cross-fit-data"), "\(unpaired)")

        // A classifier bundle is not a context head: the error names its config file.
        let notAHead = try await Stmd.run(
            ["eval", "streams", "--context-head", fixture.bundle, "--data", fixture.data + "/test.tsv"], in: fixture.root.path)
        #expect(notAHead.status == 1 && notAHead.stderr.contains(fixture.bundle + "/config.json"), "\(notAHead)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/head"))
    }
}
