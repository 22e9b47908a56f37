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
