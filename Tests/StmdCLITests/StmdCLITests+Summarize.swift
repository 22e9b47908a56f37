import Foundation
import STMTasks
import STMTesting
import Testing

/// `stmd train summarize`, `eval summarize` and `summarize` run as the real binary on a tiny BBC-layout corpus:
/// each article has one sentence with the word "breakthrough", and its reference summary is that sentence.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct StmdSummarizeCLITests {
    static let filler = ["the", "council", "said", "on", "monday", "that", "plans", "were", "delayed", "again", "by", "rain"]

    /// `count` articles under `articles/news/` and their summaries under `summaries/news/`.
    static func makeCorpus(at root: String, count: Int = 30) throws {
        var generator = Corpus.Generator(seed: 7)
        func below(_ n: Int) -> Int { generator.below(n) }
        for folder in ["articles/news", "summaries/news"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for index in 1...count {
            let sentenceCount = 4 + below(4), marked = below(sentenceCount)
            var sentences: [String] = []
            for s in 0..<sentenceCount {
                var words = (0..<(5 + below(5))).map { _ in filler[below(filler.count)] }
                if s == marked { words.insert("breakthrough", at: below(words.count)) }
                sentences.append(words.joined(separator: " ").capitalizedFirst + ".")
            }
            let name = String(format: "%03d.txt", index)
            try Data("Headline number \(index)\n\n\(sentences.joined(separator: " "))\n".utf8)
                .write(to: URL(fileURLWithPath: "\(root)/articles/news/\(name)"))
            try Data(sentences[marked].utf8).write(to: URL(fileURLWithPath: "\(root)/summaries/news/\(name)"))
        }
    }

    @Test func trainEvalAndSummarizeOnATinyCorpus() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data", model = directory.path + "/model"
        try Self.makeCorpus(at: data)
        let training = try await Stmd.run(
            [
                "train", "summarize", "--data", data, "--out", model, "--epochs", "3", "--embedding-size", "8", "--hidden", "8",
                "--sentence-hidden", "8", "--min-count", "1", "--learning-rate", "0.01", "--licence", "test data",
            ], in: directory.path, environment: ["STMD_THREADS": "1"], timeout: 90)
        try #require(training.exitedCleanly, "\(training)")
        #expect(training.stdout.contains("| model |") && training.stdout.contains("| oracle |"))
        #expect(training.stderr.contains("epoch 1:"))
        for file in ["config.json", "vocabulary.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: model + "/" + file), "\(file)")
        }
        let card = try String(contentsOfFile: model + "/MODEL.md", encoding: .utf8)
        #expect(card.contains("stmd train summarize --data") && card.contains("Licence (as the data's README states it): test data"))

        // eval: one JSON object, four systems, scores in [0, 1]; the oracle is the reference itself here.
        let eval = try await Stmd.run(["eval", "summarize", "--model", model, "--data", data, "--json"], in: directory.path)
        try #require(eval.exitedCleanly && eval.stdoutLines.count == 1, "\(eval)")
        let report = try JSON.object(eval.stdoutLines[0])
        #expect(report["documents"] as? Int == 30)
        let systems = try #require(report["systems"] as? [String: [String: Double]])
        #expect(Set(systems.keys) == ["model", "lead", "textrank", "lead3", "oracle"])
        for (system, scores) in systems {
            for key in ["rouge1_f1", "rouge2_f1", "rougeL_f1"] {
                let value = try #require(scores[key], "\(system).\(key)")
                #expect((0...1).contains(value), "\(system).\(key) = \(value)")
            }
        }
        #expect(abs(systems["oracle"]!["rouge1_f1"]! - 1) < 1e-9)
        let table = try await Stmd.run(["eval", "summarize", "--model", model, "--data", data, "--split", "validation"], in: directory.path)
        #expect(table.exitedCleanly && table.stdout.contains("3 articles"), "\(table)")

        // models: the summarizer is listed with its task and validation ROUGE, in text and JSON.
        let listing = try await Stmd.run(["models", "--models", directory.path], in: directory.path)
        #expect(listing.stdout.contains("model  v1  summarize") && listing.stdout.contains("ROUGE-2"), "\(listing)")
        let listingJSON = try await Stmd.run(["models", "--models", directory.path, "--json"], in: directory.path)
        let entries = try listingJSON.stdoutLines.map { try JSON.object($0) }
        let entry = try #require(entries.first { $0["name"] as? String == "model" }, "\(listingJSON)")
        #expect(entry["task"] as? String == "summarize" && entry["rouge2_f1"] is Double, "\(entry)")

        // summarize: N lines, each an article sentence, in document order; the title is never one of them.
        let article = data + "/articles/news/007.txt"
        let text = try String(contentsOfFile: article, encoding: .utf8)
        let sentences = SummaryDocument(text: text).sentences
        let summary = try await Stmd.run(["summarize", "--model", model, "--sentences", "2", article], in: directory.path)
        try #require(summary.exitedCleanly, "\(summary)")
        let lines = summary.stdoutLines.map(String.init)
        #expect(lines.count == 2)
        let positions = lines.compactMap { sentences.firstIndex(of: $0) }
        #expect(positions.count == 2 && positions == positions.sorted(), "\(lines)")
        let piped = try await Stmd.run(["summarize", "--model", model, "--sentences", "2", "-"], in: directory.path, input: Data(text.utf8))
        #expect(piped.stdout == summary.stdout)
        let all = try await Stmd.run(["summarize", "--model", model, "--ratio", "1", article], in: directory.path)
        #expect(all.stdoutLines.map(String.init) == sentences)

        // annotate: the summary task beside nothing else, with the same sentences as `summarize` by default.
        let byDefault = try await Stmd.run(["summarize", "--model", model, article], in: directory.path)
        let annotated = try await Stmd.run(["annotate", "--task", "summary=\(model)", article], in: directory.path)
        try #require(annotated.exitedCleanly && annotated.stdoutLines.count == 1, "\(annotated)")
        let object = try JSON.object(annotated.stdoutLines[0])
        let tasks = try #require(object["tasks"] as? [String: Any])
        // No classifier counts the tokens here: the default front end does, so the count is not left at 0.
        #expect(((object["input"] as? [String: Any])?["tokens"] as? Int ?? 0) > 0, "\(object)")
        let result = try #require(tasks["summary"] as? [String: Any])
        #expect(result["kind"] as? String == "summarize" && result["candidates"] as? Int == sentences.count)
        let picked = try #require(result["sentences"] as? [[String: Any]])
        #expect(picked.compactMap { $0["text"] as? String } == byDefault.stdoutLines.map(String.init))
    }

    @Test func badInputsNameTheFile() async throws {
        let directory = try TemporaryDirectory()
        let missing = try await Stmd.run(["summarize", "--model", directory.path + "/none", directory.path + "/absent.txt"], in: directory.path)
        #expect(!missing.exitedCleanly && missing.stderr.contains("absent.txt"), "\(missing)")
        let binary = directory.path + "/binary.txt"
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: URL(fileURLWithPath: binary))
        let invalid = try await Stmd.run(["summarize", binary], in: directory.path)
        #expect(!invalid.exitedCleanly && invalid.stderr.contains("binary.txt: not valid UTF-8"), "\(invalid)")
        let both = try await Stmd.run(["summarize", "--sentences", "2", "--ratio", "0.5", binary], in: directory.path)
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both)")
        let noData = try await Stmd.run(["eval", "summarize", "--model", "summary-news", "--data", directory.path], in: directory.path)
        #expect(!noData.exitedCleanly && (noData.stderr.contains("no articles/ folder") || noData.stderr.contains("summary-news")), "\(noData)")
        try FileManager.default.createDirectory(atPath: directory.path + "/d/articles/news", withIntermediateDirectories: true)
        try Data("Title\n\nOne sentence.".utf8).write(to: URL(fileURLWithPath: directory.path + "/d/articles/news/001.txt"))
        let noSummary = try await Stmd.run(["train", "summarize", "--data", directory.path + "/d", "--out", directory.path + "/m"], in: directory.path)
        #expect(!noSummary.exitedCleanly && noSummary.stderr.contains("summaries/news/001.txt: missing summary"), "\(noSummary)")
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
