import Foundation
import STMTesting
import Testing

extension DaemonTests {
    /// A stream whose tasks include a summarizer: its annotations carry the summary (the shipped `summary-news`,
    /// found in the repository's `Models/` after the test's own folder) beside the classification.
    @Test func aSummaryTaskPutsTheSummaryInTheAnnotation() async throws {
        let world = try DaemonWorld(
            "summary", streams: ["news"],
            tables: "[streams.news]\ntasks = { topic = \"\(try CLIFixture.shared().modelName)\", summary = \"summary-news\" }\n")
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["news"]), "\(daemon.log)")
        var inputs = InputLedger()
        let article = """
            Rail fares to rise again

            Rail fares will rise by 4% in January, the industry body said on Monday. Season tickets on some routes \
            will cost more than £5,000. Passenger groups said the rise was unfair. The government said investment in \
            the network had to be paid for. Fares have risen faster than wages for ten years.

            """
        let path = try world.write(article, "news", "fares.txt", into: &inputs)
        try #require(await Self.waitForAnnotations([path]).isEmpty, "never annotated\n\(daemon.log)")
        let annotation = try #require(DaemonOutputs.annotation(of: path))
        let tasks = try #require(annotation["tasks"] as? [String: Any])
        #expect((tasks["topic"] as? [String: Any])?["kind"] as? String == "classify")
        let summary = try #require(tasks["summary"] as? [String: Any], "\(annotation)")
        #expect(summary["kind"] as? String == "summarize" && summary["model"] as? String == "summary-news")
        #expect(summary["candidates"] as? Int == 5)
        let sentences = try #require(summary["sentences"] as? [[String: Any]])
        // 42% of 5 candidates, rounded: 2 sentences, in document order, none of them the title.
        #expect(sentences.count == 2)
        let indices = sentences.compactMap { $0["index"] as? Int }
        #expect(indices == indices.sorted() && indices.allSatisfy { (0..<5).contains($0) })
        #expect(sentences.allSatisfy { ($0["text"] as? String).map { article.contains($0) && $0 != "Rail fares to rise again" } ?? false })
        #expect(sentences.allSatisfy { ($0["score"] as? Double).map { (0...1).contains($0) } ?? false })
        try await Self.stopCleanly(daemon, world)
        inputs.expectUnchanged()
    }
}

extension DaemonTests {
    /// The table form of tasks with their settings: a summary of a fixed length and a translation (the shipped
    /// `translate-en-de`, greedy and capped so the debug build stays quick) go into each annotation; the summaries'
    /// best sentences make the stream's rolling digest in `stmd memory show`.
    @Test func translationSummarySettingsAndTheStreamDigest() async throws {
        let world = try DaemonWorld(
            "translate", streams: ["news"],
            tables: """
                [streams.news]
                tasks = { topic = "\(try CLIFixture.shared().modelName)", summary = { model = "summary-news", sentences = 1 }, \
                translation = { model = "translate-en-de", beam = 1, max_sentences = 2 } }

                """)
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["news"]), "\(daemon.log)")
        var inputs = InputLedger()
        let first = try world.write(
            "A man is riding a bicycle down the street.\nTwo dogs play in the snow. A woman watches them.\n",
            "news", "first.txt", into: &inputs)
        let second = try world.write(
            "Children are playing football in a park. A boy kicks the ball.\n", "news", "second.txt", into: &inputs)
        try #require(await Self.waitForAnnotations([first, second]).isEmpty, "never annotated\n\(daemon.log)")

        let annotation = try #require(DaemonOutputs.annotation(of: first))
        let tasks = try #require(annotation["tasks"] as? [String: Any])
        let translation = try #require(tasks["translation"] as? [String: Any], "\(annotation)")
        #expect(translation["kind"] as? String == "translate")
        #expect(translation["model"] as? String == "translate-en-de")
        #expect(translation["source_language"] as? String == "en" && translation["target_language"] as? String == "de")
        // Three sentences, max_sentences = 2: the first line's sentence and one of the second line's.
        #expect(translation["sentences"] as? Int == 2 && translation["truncated"] as? Bool == true, "\(translation)")
        let text = try #require(translation["translation"] as? String)
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 2, "line structure kept: \(text)")
        #expect(text.lowercased().contains("mann") || text.lowercased().contains("fahrrad"), "German for the first line: \(text)")
        let summary = try #require(tasks["summary"] as? [String: Any])
        #expect((summary["sentences"] as? [Any])?.count == 1, "sentences = 1: \(summary)")
        let secondTranslation = try #require(
            (DaemonOutputs.annotation(of: second)?["tasks"] as? [String: Any])?["translation"] as? [String: Any])
        #expect(secondTranslation["truncated"] as? Bool == false && secondTranslation["sentences"] as? Int == 2)

        let shown = try await Self.memoryShow(world, "news")
        let digest = try #require(shown["digest"] as? [[String: Any]], "\(shown)")
        #expect(digest.map { $0["name"] as? String } == ["first.txt", "second.txt"], "\(digest)")
        let firstSummary = try #require((summary["sentences"] as? [[String: Any]])?.first?["text"] as? String)
        #expect(digest.first?["text"] as? String == firstSummary)
        let text2 = try await DaemonProcess.runStmd(["memory", "show", "news", "--state", world.state], in: world.base)
        #expect(text2.exitedCleanly && text2.stdout.contains("digest (") && text2.stdout.contains(firstSummary), "\(text2)")
        try await Self.stopCleanly(daemon, world)
        inputs.expectUnchanged()
    }

    /// A setting the task's model cannot take (a beam for a classifier) stops the start with the task, the model and
    /// the key named, before any document is touched.
    @Test func aSettingTheModelCannotTakeIsAStartupError() async throws {
        let model = try CLIFixture.shared().modelName
        let world = try DaemonWorld(
            "tasksetting", streams: ["news"],
            tables: "[streams.news]\ntasks = { topic = { model = \"\(model)\", beam = 3 } }\n")
        let result = try await world.start().exit()
        #expect(!result.exitedCleanly)
        #expect(
            result.stderr.contains("[streams.news] tasks: topic = { model = \"\(model)\", beam … }: \(model) does not take beam"),
            "\(result.stderr)")
    }
}

extension DaemonTests {
    /// The list form, `tasks = ["summary", "translate:de-en"]`: the shipped models by their short words; the
    /// translation task is named `translate_de_en` (a journal field name) and runs `translate-de-en`.
    @Test func theListFormRunsTheShippedSummaryAndTranslation() async throws {
        let world = try DaemonWorld(
            "tasklist", streams: ["fotos"], tables: "[streams.fotos]\ntasks = [\"summary\", \"translate:de-en\"]\n")
        let daemon = try world.start()
        try #require(await daemon.waitUntilReady(streams: ["fotos"]), "\(daemon.log)")
        var inputs = InputLedger()
        let path = try world.write(
            "Ein Mann fährt mit dem Fahrrad eine Straße entlang.\nZwei Hunde spielen im Schnee.\n", "fotos", "bild.txt",
            into: &inputs)
        try #require(await Self.waitForAnnotations([path]).isEmpty, "\(daemon.log)")
        let tasks = try #require(DaemonOutputs.annotation(of: path)?["tasks"] as? [String: Any])
        #expect(Set(tasks.keys) == ["summary", "translate_de_en"])
        let translation = try #require(tasks["translate_de_en"] as? [String: Any])
        #expect(translation["model"] as? String == "translate-de-en" && translation["target_language"] as? String == "en")
        let text = (translation["translation"] as? String ?? "").lowercased()
        #expect(text.contains("man") && text.contains("dogs"), "\(text)")
        try await Self.stopCleanly(daemon, world)
        inputs.expectUnchanged()
    }
}
