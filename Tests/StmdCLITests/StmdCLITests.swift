import Foundation
import STMTasks
import STMTesting
import Testing

/// The built `stmd` binary run as a subprocess: `train classify`, `eval`, `annotate` and `models` on a tiny
/// separable corpus, with their output streams, exit statuses and files checked. One model is trained per run of
/// the suite (`.trainedModel`) and shared; tests that need other models train their own, a second or two each.
@Suite(.serialized, .trainedModel, .tags(.integration), .timeLimit(.minutes(1)))
struct StmdCLITests {
    /// The shared fixture, failing the test at once (with the training output) if the model was not trained.
    func trained() throws -> CLIFixture {
        let fixture = try CLIFixture.shared()
        try #require(fixture.training.exitedCleanly, "training the shared model failed: \(fixture.training)")
        return fixture
    }

    func evalJSON(_ fixture: CLIFixture, data: String, extra: [String] = []) async throws -> [String: Any] {
        let result = try await Stmd.run(
            ["eval"] + extra + ["--model", fixture.bundle, "--data", data, "--json"], in: fixture.root.path)
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == 1, "expected one JSON object on stdout: \(result)")
        return try JSON.object(result.stdoutLines[0])
    }

    // MARK: train classify

    @Test func trainClassifyWritesABundleWithMetricsOnStdoutAndProgressOnStderr() async throws {
        let fixture = try CLIFixture.shared()
        let training = fixture.training
        #expect(training.exitedCleanly, "\(training)")
        for file in ["config.json", "vocabulary.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: fixture.bundle + "/" + file), "missing \(file)")
        }
        #expect(
            !FileManager.default.fileExists(atPath: fixture.bundle + "/checkpoint"), "checkpoint left after success")

        // stdout: the validation report and where the model went, nothing else.
        let validationCount = Corpus.labels.count * CLIFixture.validPerLabel
        #expect(training.stdout.contains("examples  \(validationCount)\n"))
        #expect(training.stdout.contains("\naccuracy  "))
        #expect(training.stdout.contains("\nmacro-F1  "))
        #expect(training.stdout.contains("confusion (rows: true label, columns: predicted)"))
        #expect(training.stdoutLines.last == "model: \(fixture.bundle)"[...])
        #expect(!training.stdout.contains("epoch"), "progress leaked to stdout: \(training.stdout)")
        #expect(!training.stdout.contains("training on"))

        // stderr: the progress.
        let trainingCount = Corpus.labels.count * CLIFixture.trainPerLabel
        #expect(training.stderr.contains("training on \(trainingCount) examples, validating on \(validationCount);"))
        for epoch in 1...4 { #expect(training.stderr.contains("\nepoch \(epoch): loss "), "no end of epoch \(epoch)") }
        #expect(training.stderr.contains("best epoch "))

        let configuration = try JSON.object(String(contentsOfFile: fixture.bundle + "/config.json", encoding: .utf8))
        #expect(configuration["labels"] as? [String] == Corpus.labels)
        #expect(configuration["name"] as? String == fixture.modelName)
        #expect(configuration["version"] as? String == "1")
        #expect(configuration["hiddenSize"] as? Int == 8)

        // Held-out documents the model never saw (neither training nor validation): the corpus is separable.
        let report = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        let accuracy = try JSON.number(report, "accuracy")
        #expect(accuracy >= 0.9, "held-out accuracy \(accuracy)")
        #expect(try JSON.number(report, "macro_f1") >= 0.9)
    }

    /// The three input formats of the same examples train alike: every line or file becomes one example.
    @Test(arguments: ["train.tsv", "train.ft", "train-folders"])
    func trainClassifyReadsEveryDataFormat(_ name: String) async throws {
        let fixture = try CLIFixture.shared()
        let out = try fixture.scratch("format") + "/model"
        let result = try await Stmd.run(
            ["train", "classify", "--data", fixture.data + "/" + name, "--out", out, "--epochs", "1"]
                + CLIFixture.smallModel,
            in: fixture.root.path)
        try #require(result.exitedCleanly, "\(result)")
        let match = try #require(
            result.stderr.firstMatch(of: #/training on (\d+) examples, validating on (\d+);/#), "\(result.stderr)")
        #expect(Int(match.1)! + Int(match.2)! == Corpus.labels.count * CLIFixture.trainPerLabel)
        #expect(Int(match.2)! >= Corpus.labels.count, "the stratified split holds out every label")
        let configuration = try JSON.object(String(contentsOfFile: out + "/config.json", encoding: .utf8))
        #expect(configuration["labels"] as? [String] == Corpus.labels)
        #expect(configuration["name"] as? String == "model", "the name defaults to the output folder's")
    }

    // MARK: eval

    @Test func evalJSONIsOneObjectWithMetricsInRange() async throws {
        let fixture = try trained()
        let report = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        let total = Corpus.labels.count * CLIFixture.testPerLabel
        for key in ["accuracy", "macro_f1"] {
            let value = try JSON.number(report, key)
            #expect((0...1).contains(value), "\(key) = \(value)")
        }
        #expect(report["examples"] as? Int == total)
        #expect(report["labels"] as? [String] == Corpus.labels)
        #expect(report["model"] as? String == fixture.modelName)
        let confusion = try #require(report["confusion"] as? [[Int]])
        #expect(confusion.count == Corpus.labels.count && confusion.allSatisfy { $0.count == Corpus.labels.count })
        #expect(confusion.joined().reduce(0, +) == total)
        let diagonal = confusion.indices.reduce(0) { $0 + confusion[$1][$1] }
        #expect(abs(try JSON.number(report, "accuracy") - Double(diagonal) / Double(total)) < 1e-12)
        for row in confusion { #expect(row.reduce(0, +) == CLIFixture.testPerLabel) }

        // The explicit subcommand is the default one.
        let explicit = try await evalJSON(fixture, data: fixture.data + "/test.tsv", extra: ["classify"])
        #expect(try JSON.number(explicit, "accuracy") == JSON.number(report, "accuracy"))
        #expect(try JSON.stableText(explicit) == JSON.stableText(report))
    }

    @Test func evalTextReportShowsTheConfusionMatrixOfTheJSON() async throws {
        let fixture = try trained()
        let report = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        let text = try await Stmd.run(
            ["eval", "--model", fixture.bundle, "--data", fixture.data + "/test.tsv"], in: fixture.root.path)
        try #require(text.exitedCleanly, "\(text)")
        let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(
            lines.firstIndex(of: "confusion (rows: true label, columns: predicted)"), "\(text.stdout)")
        try #require(lines.count > header + 1 + Corpus.labels.count)
        #expect(lines[header + 1].split(separator: " ").map(String.init) == Corpus.labels)
        var rows: [[Int]] = []
        for (offset, label) in Corpus.labels.enumerated() {
            let fields = lines[header + 2 + offset].split(separator: " ")
            #expect(fields.first.map(String.init) == label)
            rows.append(fields.dropFirst().compactMap { Int($0) })
        }
        #expect(rows == report["confusion"] as? [[Int]])
        let percent = (try JSON.number(report, "accuracy") * 1000).rounded() / 10
        #expect(lines.contains("accuracy  \(String(format: "%.1f", percent))%"))
        #expect(text.stderr.contains("\(Corpus.labels.count * CLIFixture.testPerLabel) documents in "))
    }

    /// The same examples as TSV, fastText and a folder per label give the same metrics.
    @Test func evalGivesTheSameMetricsForEveryFormatOfTheSameData() async throws {
        let fixture = try trained()
        let tsv = try JSON.stableText(try await evalJSON(fixture, data: fixture.data + "/test.tsv"))
        #expect(try JSON.stableText(try await evalJSON(fixture, data: fixture.data + "/test.ft")) == tsv)
        #expect(try JSON.stableText(try await evalJSON(fixture, data: fixture.data + "/test-folders")) == tsv)
    }

    // MARK: Saved and loaded models predict the same

    @Test func evalTwiceGivesIdenticalMetrics() async throws {
        let fixture = try trained()
        let first = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        let second = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        #expect(try JSON.number(first, "accuracy") == JSON.number(second, "accuracy"))
        #expect(try JSON.stableText(first) == JSON.stableText(second))
        // Only the timings were dropped.
        let kept = try #require(JSON.withoutRunDependentKeys(first) as? [String: Any])
        #expect(Set(first.keys).subtracting(kept.keys) == ["elapsed_seconds", "docs_per_second_timing"])
    }

    /// Training reports its best epoch's validation metrics from the weights in memory; `eval` of the bundle on
    /// the same validation file reloads them from disk. The reports must agree line for line.
    @Test func trainingReportMatchesEvalOfTheSavedBundle() async throws {
        let fixture = try trained()
        let eval = try await Stmd.run(
            ["eval", "--model", fixture.bundle, "--data", fixture.data + "/valid.tsv"], in: fixture.root.path)
        try #require(eval.exitedCleanly, "\(eval)")
        let evalReport = eval.stdoutLines.drop { !$0.hasPrefix("examples") }
        let trainingReport = fixture.training.stdoutLines.dropLast()  // "model: DIR"
        #expect(Array(evalReport) == Array(trainingReport))
    }

    @Test func annotateTwiceGivesIdenticalAnnotationsApartFromTimings() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("twice")
        let files = ["a.txt", "b.txt", "c.txt"].map { folder + "/" + $0 }
        try write("the striker scored a goal and the team won the match\n", to: files[0])
        try write("bake the flour and butter, simmer the garlic sauce\n", to: files[1])
        try write("Le télescope observe une comète près de la planète \u{1F680}\n", to: files[2])
        let arguments = ["annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)"] + files
        let first = try await Stmd.run(arguments, in: folder)
        let second = try await Stmd.run(arguments, in: folder)
        try #require(first.exitedCleanly && second.exitedCleanly, "\(first)\n\(second)")
        try #require(first.stdoutLines.count == 3 && second.stdoutLines.count == 3)
        for (one, two) in zip(first.stdoutLines, second.stdoutLines) {
            let (a, b) = (try JSON.object(one), try JSON.object(two))
            #expect(try JSON.stableText(a) == JSON.stableText(b))
            let kept = try #require(JSON.withoutRunDependentKeys(a) as? [String: Any])
            #expect(Set(a.keys).subtracting(kept.keys) == ["timing"], "version 1 keeps run-dependent values in timing")
        }
    }
}
