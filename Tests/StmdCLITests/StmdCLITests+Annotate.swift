import Foundation
import STMTasks
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `stmd annotate`: the documented schema (docs/ANNOTATION.md), odd file names, standard input, and how every
/// command finds a model by name.
extension StmdCLITests {
    /// Checks one annotation line against schema version 1 for a file of `contents` named `name`, annotated with
    /// the single task `t` by the shared model.
    func validate(
        _ line: Substring, contents: [UInt8], name: String, fixture: CLIFixture,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (label: String, object: [String: Any]) {
        #expect(!line.contains("\n") && line.first == "{" && line.last == "}", sourceLocation: sourceLocation)
        let object = try JSON.object(line, sourceLocation: sourceLocation)
        #expect(object["schema"] as? String == "stmd.annotation", sourceLocation: sourceLocation)
        #expect(object["schema_version"] as? Int == 1, sourceLocation: sourceLocation)
        #expect(object["stream"] == nil, "no stream outside an inbox", sourceLocation: sourceLocation)

        let input = try JSON.dictionary(object, "input", sourceLocation: sourceLocation)
        #expect(input["name"] as? String == name, sourceLocation: sourceLocation)
        #expect(input["size"] as? Int == contents.count, sourceLocation: sourceLocation)
        #expect(input["sha256"] as? String == SHA256.hex(of: SHA256.hash(contents)), sourceLocation: sourceLocation)
        #expect(input["encoding"] as? String == "utf-8", sourceLocation: sourceLocation)
        #expect(input["invalid_utf8"] as? Bool == false, sourceLocation: sourceLocation)
        let text = String(decoding: contents, as: UTF8.self)
        #expect(input["characters"] as? Int == text.unicodeScalars.count, sourceLocation: sourceLocation)

        let tasks = try JSON.dictionary(object, "tasks", sourceLocation: sourceLocation)
        #expect(Set(tasks.keys) == ["t"], sourceLocation: sourceLocation)
        let task = try JSON.dictionary(tasks, "t", sourceLocation: sourceLocation)
        #expect(task["kind"] as? String == "classify", sourceLocation: sourceLocation)
        #expect(task["model"] as? String == fixture.modelName, sourceLocation: sourceLocation)
        #expect(task["model_version"] as? String == "1", sourceLocation: sourceLocation)
        let label = try JSON.string(task, "label", sourceLocation: sourceLocation)
        #expect(Corpus.labels.contains(label), sourceLocation: sourceLocation)
        let scores = try JSON.dictionary(task, "scores", sourceLocation: sourceLocation)
        #expect(Set(scores.keys) == Set(Corpus.labels), sourceLocation: sourceLocation)
        let probabilities = try Corpus.labels.map { try JSON.number(scores, $0, sourceLocation: sourceLocation) }
        #expect(probabilities.allSatisfy { (0...1).contains($0) }, sourceLocation: sourceLocation)
        // Each probability is rounded to 6 decimals.
        #expect(
            abs(probabilities.reduce(0, +) - 1) <= 1e-5, "scores sum to \(probabilities.reduce(0, +))",
            sourceLocation: sourceLocation)
        let score = try JSON.number(task, "score", sourceLocation: sourceLocation)
        #expect(score == probabilities.max(), sourceLocation: sourceLocation)
        #expect(try JSON.number(scores, label, sourceLocation: sourceLocation) == score, sourceLocation: sourceLocation)

        #expect(object["models"] as? [String: String] == [fixture.modelName: "1"], sourceLocation: sourceLocation)
        let timing = try JSON.dictionary(object, "timing", sourceLocation: sourceLocation)
        #expect(
            try JSON.number(timing, "total_ms", sourceLocation: sourceLocation) >= 0, sourceLocation: sourceLocation)
        return (label, object)
    }

    /// `annotate --models PARENT --task t=tiny` as raw argument bytes, before the files.
    func annotateArguments(_ fixture: CLIFixture) -> [[UInt8]] {
        ["annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)"].map { Array($0.utf8) }
    }

    @Test func annotateWritesOneSchemaValidLinePerFile() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("annotate")
        let documents = [
            ("match.txt", Corpus.document("sports", seed: 21), "sports"),
            ("launch.txt", Corpus.document("space", seed: 22), "space"),
        ]
        for (name, text, _) in documents { try write(text, to: folder + "/" + name) }
        let result = try await Stmd.run(
            ["annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)"]
                + documents.map { folder + "/" + $0.0 },
            in: folder)
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == 2, "\(result)")
        #expect(result.stdout.hasSuffix("}\n") && !result.stdout.contains("\n\n"))
        for (line, (name, text, expected)) in zip(result.stdoutLines, documents) {
            let (label, _) = try validate(line, contents: Array(text.utf8), name: name, fixture: fixture)
            #expect(label == expected, "\(name)")
        }
    }

    /// The documented example: bytes `66 E9 2E 74 78 74` are `f\xE9.txt` with `name_base64` `ZukudHh0`.
    @Test func annotateEscapesANameThatIsNotUTF8() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("latin1")
        let nameBytes: [UInt8] = [0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74]
        let contents = Array("goal match team score\n".utf8)
        try write(bytes: contents, toRawPath: Array(folder.utf8) + [UInt8(ascii: "/")] + nameBytes)
        let result = try await Stmd.run(
            rawArguments: annotateArguments(fixture) + [Array(folder.utf8) + [UInt8(ascii: "/")] + nameBytes],
            in: folder)
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == 1, "\(result)")
        let (_, object) = try validate(result.stdoutLines[0], contents: contents, name: #"f\xE9.txt"#, fixture: fixture)
        let input = try JSON.dictionary(object, "input")
        #expect(input["name_base64"] as? String == "ZukudHh0")
        #expect(Data(base64Encoded: try JSON.string(input, "name_base64")) == Data(nameBytes))
        #expect(
            result.stdout.contains(#""name":"f\\xE9.txt","name_base64":"ZukudHh0""#), "as written: \(result.stdout)")
    }

    /// Two names that are not UTF-8 and differ only in their invalid bytes (`f\xE9.txt`, `f\xE8.txt`) decode to
    /// the same `String` in `files`; `AnnotateCommand.rawArgument(matching:)` returns the first argument that
    /// decodes alike, so the second file is never read and the first is annotated twice.
    @Test func annotateKeepsNamesThatDecodeAlikeApart() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("alike")
        let names: [[UInt8]] = [[0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74], [0x66, 0xE8, 0x2E, 0x74, 0x78, 0x74]]
        let contents = [Array("goal match team score\n".utf8), Array("rocket orbit planet comet\n".utf8)]
        for (name, bytes) in zip(names, contents) {
            try write(bytes: bytes, toRawPath: Array(folder.utf8) + [UInt8(ascii: "/")] + name)
        }
        let result = try await Stmd.run(
            rawArguments: annotateArguments(fixture) + names.map { Array(folder.utf8) + [UInt8(ascii: "/")] + $0 },
            in: folder)
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == 2, "\(result)")
        let inputs = try result.stdoutLines.map { try JSON.dictionary(try JSON.object($0), "input") }
        #expect(inputs[0]["name"] as? String == #"f\xE9.txt"#)
        #expect(inputs[1]["name"] as? String == #"f\xE8.txt"#)
        #expect(inputs[1]["sha256"] as? String == SHA256.hex(of: SHA256.hash(contents[1])))
    }

    @Test func annotateReadsStandardInputForADash() async throws {
        let fixture = try trained()
        let contents = Array(Corpus.document("space", seed: 23).utf8)
        let result = try await Stmd.run(
            ["annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)", "-"], in: fixture.root.path,
            input: Data(contents))
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == 1, "\(result)")
        let (label, _) = try validate(result.stdoutLines[0], contents: contents, name: "-", fixture: fixture)
        #expect(label == "space")
    }

    /// `annotate` (a file at a time, through `DocumentAnnotator`) and `eval` (the dataset's texts) classify the same
    /// documents alike: the confusion matrix built from the annotations is eval's.
    @Test func annotateAgreesWithEvalOnEveryDocument() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("agree")
        let examples = Corpus.examples(perLabel: CLIFixture.testPerLabel, seed: 3)  // test.tsv's examples
        var files: [String] = []
        for (index, example) in examples.enumerated() {
            files.append(folder + "/\(index).txt")
            try write(example.text + "\n", to: files[index])
        }
        let result = try await Stmd.run(
            ["annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)"] + files, in: folder)
        try #require(result.exitedCleanly, "\(result)")
        try #require(result.stdoutLines.count == examples.count)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: Corpus.labels.count), count: Corpus.labels.count)
        for (line, example) in zip(result.stdoutLines, examples) {
            let task = try JSON.dictionary(try JSON.dictionary(try JSON.object(line), "tasks"), "t")
            let predicted = try #require(Corpus.labels.firstIndex(of: try JSON.string(task, "label")))
            confusion[Corpus.labels.firstIndex(of: example.label)!][predicted] += 1
        }
        let report = try await evalJSON(fixture, data: fixture.data + "/test.tsv")
        #expect(report["confusion"] as? [[Int]] == confusion)
    }

    // MARK: Finding models by name

    @Test func modelsAndAnnotateFindModelsThroughSTMD_MODELS() async throws {
        let fixture = try trained()
        let elsewhere = try fixture.scratch("cwd")  // an empty working directory: nothing to find relative to it
        let document = elsewhere + "/doc.txt"
        let text = Corpus.document("cooking", seed: 24)
        try write(text, to: document)
        let environment = ["STMD_MODELS": fixture.root.path + "/no-such-folder:" + fixture.models]

        let listing = try await Stmd.run(["models", "--json"], in: elsewhere, environment: environment)
        try #require(listing.exitedCleanly, "\(listing)")
        let entries = try listing.stdoutLines.map { try JSON.object($0) }
        let entry = try #require(entries.first { $0["name"] as? String == fixture.modelName }, "\(listing)")
        #expect(entry["path"] as? String == fixture.bundle)
        #expect(entry["labels"] as? [String] == Corpus.labels)
        #expect(entry["task"] as? String == "classify")
        #expect(entry["version"] as? String == "1")
        #expect((entry["bytes"] as? Int ?? 0) > 0)

        let readable = try await Stmd.run(["models"], in: elsewhere, environment: environment)
        try #require(readable.exitedCleanly, "\(readable)")
        #expect(readable.stdout.contains("\(fixture.modelName)  v1  classify"))
        #expect(readable.stdout.contains("labels: " + Corpus.labels.joined(separator: ", ")))
        #expect(readable.stdout.contains("    \(fixture.bundle)\n"))

        let annotation = try await Stmd.run(
            ["annotate", "--task", "t=\(fixture.modelName)", document], in: elsewhere, environment: environment)
        try #require(annotation.exitedCleanly, "\(annotation)")
        try #require(annotation.stdoutLines.count == 1)
        let (label, _) = try validate(
            annotation.stdoutLines[0], contents: Array(text.utf8), name: "doc.txt", fixture: fixture)
        #expect(label == "cooking")

        // Without STMD_MODELS the same commands in the same place do not find it.
        let unset = try await Stmd.run(["models", "--json"], in: elsewhere)
        #expect(unset.status == 0)
        #expect(try unset.stdoutLines.allSatisfy { try JSON.object($0)["name"] as? String != fixture.modelName })
        let missing = try await Stmd.run(["annotate", "--task", "t=\(fixture.modelName)", document], in: elsewhere)
        #expect(missing.status == 1 && missing.stdout.isEmpty, "\(missing)")
    }

    @Test func annotateAndEvalFindModelsThroughTheModelsOption() async throws {
        let fixture = try trained()
        let elsewhere = try fixture.scratch("cwd")
        let document = elsewhere + "/doc.txt"
        let text = Corpus.document("sports", seed: 25)
        try write(text, to: document)
        let annotation = try await Stmd.run(
            [
                "annotate", "--models", fixture.root.path + "/empty", "--models", fixture.models, "--task",
                "t=\(fixture.modelName)", document,
            ],
            in: elsewhere)
        try #require(annotation.exitedCleanly, "\(annotation)")
        try #require(annotation.stdoutLines.count == 1)
        #expect(
            try validate(annotation.stdoutLines[0], contents: Array(text.utf8), name: "doc.txt", fixture: fixture).label
                == "sports")

        let eval = try await Stmd.run(
            [
                "eval", "--models", fixture.models, "--model", fixture.modelName, "--data", fixture.data + "/test.tsv",
                "--json",
            ],
            in: elsewhere)
        try #require(eval.exitedCleanly, "\(eval)")
        #expect(try JSON.object(eval.stdout)["model"] as? String == fixture.modelName)
    }

    @Test func anUnknownModelNameFailsNamingTheModelAndThePlacesSearched() async throws {
        let fixture = try trained()
        let elsewhere = try fixture.scratch("cwd")
        let document = elsewhere + "/doc.txt"
        try write("goal\n", to: document)
        let fromEnvironment = fixture.root.path + "/env-models"
        let environment = ["STMD_MODELS": fromEnvironment]
        for arguments in [
            ["annotate", "--models", fixture.models, "--task", "t=no-such-model", document],
            ["eval", "--models", fixture.models, "--model", "no-such-model", "--data", fixture.data + "/test.tsv"],
        ] {
            let result = try await Stmd.run(arguments, in: elsewhere, environment: environment)
            #expect(result.status == 1 && !result.signalled, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("no model named 'no-such-model'"), "\(result.stderr)")
            #expect(result.stderr.contains(fixture.models), "the --models folder is named")
            #expect(result.stderr.contains(fromEnvironment), "the STMD_MODELS folder is named")
        }
    }
}

/// Creates a file whose path is raw bytes (a name `String` cannot hold).
func write(bytes: [UInt8], toRawPath path: [UInt8]) throws {
    let descriptor = open(path.map { CChar(bitPattern: $0) } + [0], O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw CocoaError(.fileWriteUnknown) }
}
