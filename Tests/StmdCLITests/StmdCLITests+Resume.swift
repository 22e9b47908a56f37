import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `train classify --resume`: the checkpoint in `--out/checkpoint` that every epoch leaves and a successful run
/// removes.
extension StmdCLITests {
    @Test func resumeWithoutACheckpointFails() async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("resume")
        let out = folder + "/model"
        let result = try await Stmd.run(
            ["train", "classify", "--data", fixture.data + "/train.tsv", "--out", out, "--epochs", "1", "--resume"]
                + CLIFixture.smallModel,
            in: folder)
        #expect(result.status == 1 && !result.signalled, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--resume: no checkpoint in \(out)/checkpoint"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/config.json"))
    }

    /// A run killed in its second epoch resumes from the checkpoint of the first and ends with the same weights,
    /// byte for byte, as a run never interrupted. The kill is sent at the first progress line of epoch 2, which
    /// comes after epoch 1's checkpoint is complete and hundreds of batches before the next; the checkpoint
    /// files are replaced atomically, so even a later kill leaves a checkpoint to resume from.
    @Test func anInterruptedRunResumesToTheSameWeights() async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("interrupt")
        let data = folder + "/big.tsv"
        try write(Corpus.tsv(Corpus.examples(perLabel: 600, seed: 11)), to: data)  // ~200 batches per epoch
        let epochs = 3
        let arguments =
            ["train", "classify", "--data", data, "--epochs", "\(epochs)", "--patience", "100", "--name", "big"]
            + CLIFixture.smallModel
        let (reference, interrupted) = (folder + "/reference", folder + "/interrupted")

        let whole = try await Stmd.run(arguments + ["--out", reference], in: folder)
        try #require(whole.exitedCleanly, "\(whole)")

        let running = try Stmd.start(arguments + ["--out", interrupted], in: folder)
        let inSecondEpoch = await running.stderrReaches(timeout: Stmd.defaultTimeout) {
            $0.contains("\nepoch 2/\(epochs) step ")
        }
        running.send(signal: SIGTERM)
        let killed = try await Stmd.waitOffThePool(running, timeout: Stmd.defaultTimeout)
        try #require(inSecondEpoch, "no progress line of epoch 2: \(killed)")
        try #require(killed.signalled && killed.status == SIGTERM, "the run ended before the signal: \(killed)")
        #expect(FileManager.default.fileExists(atPath: interrupted + "/checkpoint/trainer.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: interrupted + "/config.json"), "no bundle from a killed run")

        // Other settings than the checkpoint's are refused, and the checkpoint stays.
        let mismatched = try await Stmd.run(
            arguments + ["--out", interrupted, "--resume", "--hidden", "9"], in: folder)
        #expect(mismatched.status == 1 && !mismatched.signalled, "\(mismatched)")
        #expect(
            mismatched.stderr.contains("--resume: the model settings differ from the checkpoint's"),
            "\(mismatched.stderr)")
        #expect(FileManager.default.fileExists(atPath: interrupted + "/checkpoint/trainer.safetensors"))

        let resumed = try await Stmd.run(arguments + ["--out", interrupted, "--resume"], in: folder)
        try #require(resumed.exitedCleanly, "\(resumed)")
        let match = try #require(
            resumed.stderr.firstMatch(of: #/resumed from the checkpoint after epoch (\d+)/#), "\(resumed.stderr)")
        #expect((1..<epochs).contains(Int(match.1)!), "resumed after epoch \(match.1)")
        #expect(!FileManager.default.fileExists(atPath: interrupted + "/checkpoint"), "checkpoint left after success")
        let weights = try Data(contentsOf: URL(fileURLWithPath: interrupted + "/weights.safetensors"))
        let referenceWeights = try Data(contentsOf: URL(fileURLWithPath: reference + "/weights.safetensors"))
        #expect(weights == referenceWeights, "resumed weights differ from an uninterrupted run's")
        #expect(resumed.stdoutLines.dropLast() == whole.stdoutLines.dropLast(), "validation reports differ")
    }
}

extension RunningProcess {
    /// `waitForStderr` on a thread of its own, so the test's task does not block the cooperative pool.
    func stderrReaches(timeout: Double, _ predicate: @escaping @Sendable (String) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: self.waitForStderr(timeout: timeout, until: predicate))
            }.start()
        }
    }
}
