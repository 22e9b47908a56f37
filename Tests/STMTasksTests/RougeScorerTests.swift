import Foundation
import STMTasks
import STMTesting
import Testing

/// ROUGE on hand-checked examples, the Porter stems NLTK documents, and a cross-check against Google's
/// `rouge-score` (run from ~/.cache/stmd/venv or $STMD_ROUGE_PYTHON; skipped when it is not installed).
struct RougeScorerTests {
    let scorer = RougeScorer()

    @Test func handCheckedScores() {
        // the cat sat on the mat / the cat was on the mat: 5 of 6 unigrams, 3 of 5 bigrams, LCS 5.
        let scores = scorer.score(prediction: "The cat sat on the mat.", reference: "the cat was on the mat")
        #expect(abs(scores.rouge1.f1 - 5.0 / 6) < 1e-12)
        #expect(abs(scores.rouge2.precision - 0.6) < 1e-12 && abs(scores.rouge2.recall - 0.6) < 1e-12)
        #expect(abs(scores.rougeL.f1 - 5.0 / 6) < 1e-12)
        // Stemming: running/runs → run, runners/runner → runner; "ran" (3 letters) is not stemmed.
        let stemmed = scorer.score(prediction: "Running runners ran", reference: "the runner runs")
        #expect(abs(stemmed.rouge1.precision - 2.0 / 3) < 1e-12 && abs(stemmed.rouge1.recall - 2.0 / 3) < 1e-12)
        #expect(stemmed.rouge2.f1 == 0)
        // Unequal lengths: P = 2/2, R = 2/4 → F = 2/3.
        let short = scorer.score(prediction: "profits rose", reference: "profits rose sharply today")
        #expect(abs(short.rouge1.f1 - 2.0 / 3) < 1e-12)
        #expect(scorer.score(prediction: "", reference: "something").rouge1.f1 == 0)
    }

    @Test func tokensFollowRougeScore() {
        #expect(scorer.tokens("TimeWarner's $11.1bn (£600m) year-earlier.") == ["timewarn", "s", "11", "1bn", "600m", "year", "earlier"])
    }

    @Test func porterStemsAsNLTK() {
        let stemmer = PorterStemmer()
        let expected = [
            "caresses": "caress", "ponies": "poni", "ties": "tie", "cats": "cat", "feed": "feed", "agreed": "agre",
            "plastered": "plaster", "motoring": "motor", "sing": "sing", "conflated": "conflat", "troubled": "troubl",
            "sized": "size", "hopping": "hop", "falling": "fall", "filing": "file", "happy": "happi", "relational": "relat",
            "generalization": "gener", "dying": "die", "news": "news", "hopeful": "hope", "electricity": "electr",
        ]
        for (word, stem) in expected { #expect(stemmer.stem(word) == stem, "\(word)") }
    }

    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["STMD_ROUGE_PYTHON"], NSHomeDirectory() + "/.cache/stmd/venv/bin/python"]
        for case let path? in candidates where FileManager.default.isExecutableFile(atPath: path) {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: path)
            check.arguments = ["-c", "import rouge_score, nltk"]
            check.standardError = FileHandle.nullDevice
            guard (try? check.run()) != nil else { continue }
            check.waitUntilExit()
            if check.terminationStatus == 0 { return path }
        }
        return nil
    }()

    static let dataRoot = ProcessInfo.processInfo.environment["STMD_DATA"] ?? URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data").path

    /// Pairs worth checking: hand-made edge cases, then (when the data is there) lead sentences of BBC
    /// articles against their reference summaries — thousands of distinct words through both stemmers.
    func pairs() throws -> [(prediction: String, reference: String)] {
        var pairs: [(String, String)] = [
            ("The cat sat on the mat.", "the cat was on the mat"),
            ("Running runners ran; generalizations, relational databases", "the runner runs the generalization"),
            ("Ünïcödé naïve café — 3.5% growth in 2004/05!", "naive cafe growth 2004 05 3 5"),
            ("", "an empty prediction"),
            ("skies dying lying tying innings outings hopefully agreed", "sky die lie tie inning outing hopeful agree"),
        ]
        let root = Self.dataRoot + "/summarization/bbc-news-summary"
        for topic in ["business", "entertainment", "politics", "sport", "tech"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/articles/\(topic)")) ?? []).sorted().prefix(20)
            for name in names {
                let example = SummaryCorpus.makeExample(
                    name: name, topic: topic,
                    article: try String(contentsOfFile: "\(root)/articles/\(topic)/\(name)", encoding: .utf8),
                    reference: try String(contentsOfFile: "\(root)/summaries/\(topic)/\(name)", encoding: .utf8))
                pairs.append((example.document.sentences.prefix(5).joined(separator: "\n"), example.reference))
                pairs.append((example.document.sentences.joined(separator: " "), example.reference))
            }
        }
        return pairs
    }

    @Test(.enabled(if: python != nil, "rouge-score not installed (pip install rouge-score into ~/.cache/stmd/venv)"))
    func matchesRougeScorePackage() throws {
        let directory = try TemporaryDirectory()
        let pairs = try pairs()
        let input = directory.path + "/pairs.json"
        try JSONSerialization.data(withJSONObject: pairs.map { ["prediction": $0.prediction, "reference": $0.reference] })
            .write(to: URL(fileURLWithPath: input))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/summary/rouge_reference.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = [script, input]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let results = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        try #require(results.count == pairs.count)
        var tokenMismatches = 0
        for (pair, result) in zip(pairs, results) {
            let expectedTokens = (result["prediction_tokens"] as! [String]) + (result["reference_tokens"] as! [String])
            let tokens = scorer.tokens(pair.prediction) + scorer.tokens(pair.reference)
            if tokens != expectedTokens {
                tokenMismatches += 1
                let differing = zip(tokens, expectedTokens).filter { $0 != $1 }.prefix(5)
                Issue.record("tokens differ: \(differing.map { "\($0.0) vs \($0.1)" })")
            }
            let scores = scorer.score(prediction: pair.prediction, reference: pair.reference)
            let reference = result["scores"] as! [String: [Double]]
            for (name, mine) in [("rouge1", scores.rouge1), ("rouge2", scores.rouge2), ("rougeL", scores.rougeL)] {
                let theirs = reference[name]!
                #expect(abs(mine.precision - theirs[0]) < 1e-12 && abs(mine.recall - theirs[1]) < 1e-12 && abs(mine.f1 - theirs[2]) < 1e-12,
                        "\(name): \(mine) vs \(theirs)")
            }
        }
        #expect(tokenMismatches == 0)
        print("rouge-score cross-check: \(pairs.count) pairs")
    }
}
