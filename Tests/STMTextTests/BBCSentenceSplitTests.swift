import Foundation
import STMText
import Testing

/// Checks the splitter against BBC News Summary: the reference summaries are article sentences concatenated
/// without separators, so a good splitter finds nearly every summary sentence verbatim among the article's.
struct BBCSentenceSplitTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/summarization/bbc-news-summary")
    static let dataAvailable = FileManager.default.fileExists(
        atPath: root.appendingPathComponent("articles/business").path)

    @Test(
        .enabled(if: dataAvailable, "BBC News Summary not found at ../shared/data/summarization/bbc-news-summary")
    )
    func summarySentencesAppearAmongArticleSentences() throws {
        let articleSplitter = SentenceSplitter()
        let summarySplitter = SentenceSplitter(splitsMissingSpaces: true)
        var matched = 0
        var total = 0
        var misses: [String] = []
        // Every 10th document is withheld from the data set, so take the first 50 files that exist.
        let names = try FileManager.default.contentsOfDirectory(
            atPath: Self.root.appendingPathComponent("articles/business").path
        ).filter { $0.hasSuffix(".txt") }.sorted().prefix(50)
        for name in names {
            let article = try String(
                contentsOf: Self.root.appendingPathComponent("articles/business/\(name)"), encoding: .utf8)
            let summary = try String(
                contentsOf: Self.root.appendingPathComponent("summaries/business/\(name)"), encoding: .utf8)
            let articleSentences = Set(articleSplitter.sentences(in: article).map(\.text))
            for sentence in summarySplitter.sentences(in: summary).map(\.text) {
                total += 1
                if articleSentences.contains(sentence) {
                    matched += 1
                } else {
                    misses.append("\(name): \(sentence)")
                }
            }
        }
        let fraction = Double(matched) / Double(max(total, 1))
        // Measured: 307/307 (100%); the threshold leaves room for splitter changes and data quirks.
        #expect(total > 300)
        #expect(fraction >= 0.95, "matched \(matched)/\(total); first misses: \(misses.prefix(10))")
        print(
            "BBC business, first \(names.count) articles: \(matched)/\(total) summary sentences matched (\(fraction))")
        for miss in misses { print("miss:", miss) }
    }
}
