import Foundation
import STMTesting
import Testing

/// Bad training data: the file and line a person has to open, written to stderr; `FILE` stands for the data path.
struct BadData: Sendable, CustomTestStringConvertible {
    var name: String
    var contents: [UInt8]
    var messages: [String]

    var testDescription: String { name }

    static let good = ["rocket orbit planet\tspace", "goal team match\tsports", "oven flour bake\tcooking"]

    static func lines(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

    static let cases: [BadData] = [
        BadData(
            name: "a TSV line without a tab", contents: lines(good + ["no tab on this line"] + good),
            messages: ["FILE:4: error: malformed line: expected text<TAB>label"]),
        BadData(
            name: "an empty label", contents: lines(good + ["words without a label\t  "]),
            messages: ["FILE:4: error: empty label"]),
        BadData(
            name: "an empty text", contents: lines(["\tsports"] + good),
            messages: ["FILE:1: error: empty text for label 'sports'"]),
        BadData(name: "an empty file", contents: [], messages: ["FILE: error: empty file"]),
        BadData(
            name: "a fastText line without a label",
            contents: lines(["__label__space rocket orbit", "goal team match", "__label__sports goal team"]),
            messages: ["FILE:2: error: malformed line: expected __label__<label> text"]),
        BadData(
            name: "every error, not only the first",
            contents: lines(good + ["no tab", "text\t"] + good + ["again no tab"]),
            messages: ["FILE:4: error: malformed line", "FILE:5: error: empty label", "FILE:9: error: malformed line"]),
        BadData(
            name: "neither tabs nor __label__", contents: lines(["just some words", "and more words"]),
            messages: ["FILE: cannot tell the format"]),
        BadData(
            name: "a single label",
            contents: lines(["goal team\tsports", "match score\tsports", "coach league\tsports"]),
            messages: ["1 label(s) (sports): a classifier needs at least 2"]),
    ]
}

/// Usage errors, data errors and their exit statuses.
extension StmdCLITests {
    @Test(arguments: BadData.cases)
    func trainClassifyRefusesBadDataNamingFileAndLine(_ bad: BadData) async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("bad")
        let path = folder + "/data.txt"
        try write(bytes: bad.contents, to: path)
        let result = try await Stmd.run(
            ["train", "classify", "--data", path, "--out", folder + "/model", "--epochs", "1"] + CLIFixture.smallModel,
            in: folder)
        #expect(result.status == 1 && !result.signalled, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        for message in bad.messages {
            let expected = message.replacingOccurrences(of: "FILE", with: path)
            #expect(result.stderr.contains(expected), "expected '\(expected)' in: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/model/config.json"), "a bundle was written")
    }

    @Test func trainClassifyWithoutDataIsAUsageError() async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("usage")
        let result = try await Stmd.run(["train", "classify", "--out", folder + "/model"], in: folder)
        #expect(result.status == 64 && !result.signalled, "\(result)")  // EX_USAGE
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Missing expected argument '--data <path>'"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/model"))
    }

    @Test(arguments: [["--ngram-weight", "1.5"], ["--ngram-buckets", "-1"], ["--ngram-epochs", "0"]])
    func trainClassifyRefusesBadNgramSettingsByName(_ setting: [String]) async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("usage")
        let result = try await Stmd.run(
            ["train", "classify", "--data", fixture.data + "/train.tsv", "--out", folder + "/model"] + setting, in: folder)
        #expect(result.status == 64 && !result.signalled, "\(result)")
        #expect(result.stderr.contains(setting[0]), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/model"))
    }

    @Test func trainClassifyRefusesAnUnknownCell() async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("usage")
        let result = try await Stmd.run(
            [
                "train", "classify", "--data", fixture.data + "/train.tsv", "--out", folder + "/model", "--cell",
                "bogus",
            ],
            in: folder)
        #expect(result.status == 64 && !result.signalled, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("'bogus'") && result.stderr.contains("--cell"), "\(result.stderr)")
        for cell in ["lstm", "gru", "elman", "elman-tanh"] {
            #expect(result.stderr.contains("'\(cell)'"), "\(cell) not offered")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/model"))
    }

    /// `LabeledDataset` decodes bytes that are not UTF-8 with U+FFFD, warns with the line (or the file, for a folder
    /// per label) and keeps the example: training goes on with every line.
    @Test(arguments: [false, true])
    func bytesThatAreNotUTF8AreAWarningAndTrainingProceeds(folders: Bool) async throws {
        let fixture = try CLIFixture.shared()
        let folder = try fixture.scratch("latin1")
        var examples = Corpus.examples(perLabel: 10, seed: 7)
        examples[6].text = "goal match caf\u{FFFD} team"  // written below with 0xE9 in place of U+FFFD
        let data: String
        let location: String
        if folders {
            data = folder + "/data"
            try Corpus.writeFolders(examples, to: data)
            location = data + "/\(examples[6].label)/006.txt"
            try write(bytes: Array("goal match caf".utf8) + [0xE9] + Array(" team\n".utf8), to: location)
        } else {
            data = folder + "/data.tsv"
            var bytes = Array(Corpus.tsv(examples).utf8)
            let replacement = Array("\u{FFFD}".utf8)
            let at = try #require(bytes.firstRange(of: replacement))
            bytes.replaceSubrange(at, with: [0xE9])
            try write(bytes: bytes, to: data)
            location = data + ":7"
        }
        let result = try await Stmd.run(
            ["train", "classify", "--data", data, "--out", folder + "/model", "--epochs", "1"] + CLIFixture.smallModel,
            in: folder)
        #expect(result.exitedCleanly, "\(result)")
        #expect(
            result.stderr.contains("\(location): warning: bytes that are not UTF-8 were replaced with U+FFFD"),
            "\(result.stderr)")
        let match = try #require(result.stderr.firstMatch(of: #/training on (\d+) examples, validating on (\d+);/#))
        #expect(Int(match.1)! + Int(match.2)! == examples.count, "the example with the bad byte is kept")
        #expect(FileManager.default.fileExists(atPath: folder + "/model/weights.safetensors"))
    }

    @Test func evalRefusesLabelsTheModelDoesNotHave() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("labels")
        let path = folder + "/other.tsv"
        try write(
            "goal match team\tsports\nscore coach\tsports\nrain and wind\tweather\nsun and cloud\tweather\n", to: path)
        let result = try await Stmd.run(["eval", "--model", fixture.bundle, "--data", path, "--json"], in: folder)
        #expect(result.status == 1 && !result.signalled, "\(result)")
        #expect(result.stdout.isEmpty, "no report for data the model cannot score")
        #expect(
            result.stderr.contains(
                "\(path):3: label 'weather' is not one of the model's labels (cooking, space, sports)"),
            "\(result.stderr)")
    }

    @Test func annotateReportsAnUnreadableFileAndStillAnnotatesTheOthers() async throws {
        let fixture = try trained()
        let folder = try fixture.scratch("partial")
        let (first, missing, directory, last) = (
            folder + "/one.txt", folder + "/missing.txt", folder + "/sub", folder + "/two.txt"
        )
        try write("goal team\n", to: first)
        try write("rocket orbit\n", to: last)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try await Stmd.run(
            [
                "annotate", "--models", fixture.models, "--task", "t=\(fixture.modelName)", first, missing, directory,
                last,
            ],
            in: folder)
        #expect(result.status == 1 && !result.signalled, "\(result)")
        try #require(result.stdoutLines.count == 2, "\(result)")
        let names = try result.stdoutLines.map { try JSON.dictionary(try JSON.object($0), "input")["name"] as? String }
        #expect(names == ["one.txt", "two.txt"])
        #expect(result.stderr.contains("\(missing): No such file or directory"), "\(result.stderr)")
        #expect(result.stderr.contains("\(directory): not a regular file"), "\(result.stderr)")
    }
}
