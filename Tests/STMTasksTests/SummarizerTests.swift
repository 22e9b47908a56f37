import Foundation
import STMModels
import STMTasks
import STMTensor
import STMTesting
import STMText
import Testing

/// The summarization task's parts: article parsing and labels, lengths, features, bundle round trip, errors.
struct SummarizerTests {
    static let article = """
        Shares jump at Acme

        Acme shares rose 5% on Monday. Mr. Smith said profits were up.

        The firm also hired 200 staff. Analysts expect more growth in 2005.
        """

    @Test func titleIsNotACandidateAndLabelsMatchGluedReference() {
        let example = SummaryCorpus.makeExample(
            name: "business/001.txt", topic: "business", article: Self.article,
            reference: "Analysts expect more growth in 2005.Acme shares rose 5% on Monday.")
        #expect(example.document.title == "Shares jump at Acme")
        #expect(example.document.sentences == [
            "Acme shares rose 5% on Monday.", "Mr. Smith said profits were up.", "The firm also hired 200 staff.",
            "Analysts expect more growth in 2005.",
        ])
        #expect(example.labels == [true, false, false, true])
        #expect(example.matchedSentences == 2 && example.referenceSentences == 2)
    }

    @Test func titleRules() {
        #expect(SummaryDocument(text: Self.article).title == "Shares jump at Acme")
        // A first line that is a sentence of a paragraph is not a title.
        let plain = SummaryDocument(text: "It rained all day.\nThe match was off.\n\nFans went home.")
        #expect(plain.title == nil && plain.sentences.count == 3)
        #expect(SummaryDocument(text: Self.article, title: .none).sentences.first == "Shares jump at Acme")
        #expect(SummaryDocument(text: "Only a title", title: .firstLine).sentences.isEmpty)
    }

    @Test func lengths() {
        #expect(SummaryLength.ratio(0.42).count(for: 16) == 7)
        #expect(SummaryLength.ratio(0.01).count(for: 5) == 1)
        #expect(SummaryLength.sentences(3).count(for: 2) == 2)
        #expect(SummaryLength.sentences(3).count(for: 0) == 0)
        #expect(SummaryLength.top([0.1, 0.9, 0.5, 0.9], count: 2) == [1, 3])
    }

    @Test func featuresAreBoundedAndFavourCentralSentences() {
        let document = SummaryDocument(
            text: "Budget plans\n\nThe budget plans cut taxes. The budget plans raise spending on schools. Weather was fine.\n")
        let features = SentenceFeatures.compute(document)
        #expect(features.count == 3 && features.allSatisfy { $0.count == SentenceFeatures.count })
        #expect(features.joined().allSatisfy { (0...1).contains($0) })
        #expect(features[0][0] > features[2][0] && features[0][4] == 1 && features[2][4] == 0)
    }

    static func makeSummarizer(features: Bool) -> Summarizer {
        let vocabulary = Vocabulary(counts: ["acme": 3, "shares": 2, "profits": 2, "growth": 1])
        let configuration = SummarizerConfiguration(
            name: "tiny", embeddingSize: 4, wordHiddenSize: 3, sentenceHiddenSize: 3, defaultRatio: 0.5,
            sentenceFeatures: features ? SentenceFeatures.name : nil)
        var generator = SplitMix64(seed: 4)
        let parameters = configuration.makeModel(vocabularySize: vocabulary.count).makeParameters(using: &generator)
        return Summarizer(directory: "", configuration: configuration, vocabulary: vocabulary, parameters: parameters)
    }

    @Test(arguments: [SafetensorsDType.f32, .bf16])
    func bundleRoundTrip(_ dtype: SafetensorsDType) throws {
        let directory = try TemporaryDirectory()
        let summarizer = Self.makeSummarizer(features: true)
        try SummarizerBundle.write(
            configuration: summarizer.configuration, vocabulary: summarizer.vocabulary, parameters: summarizer.parameters,
            to: directory.path, dtype: dtype) { bytes in "card \(bytes)" }
        #expect(SummarizerBundle.format(of: directory.path) == SummarizerConfiguration.currentFormat)
        let loaded = try Summarizer(directory: directory.path)
        #expect(loaded.configuration == summarizer.configuration && loaded.vocabulary == summarizer.vocabulary)
        let document = SummaryDocument(text: Self.article)
        let before = summarizer.scores(document), after = loaded.scores(document)
        let tolerance = dtype == .f32 ? 0 : 0.02
        for (a, b) in zip(before, after) { #expect(abs(a - b) <= tolerance, "\(a) vs \(b)") }
        #expect(loaded.summarize(document).count == 2)
        #expect(try String(contentsOfFile: directory.path + "/MODEL.md", encoding: .utf8).hasPrefix("card "))
    }

    @Test func loadingRejectsAClassifierOrDamagedBundle() throws {
        let directory = try TemporaryDirectory()
        let summarizer = Self.makeSummarizer(features: false)
        try SummarizerBundle.write(
            configuration: summarizer.configuration, vocabulary: summarizer.vocabulary, parameters: summarizer.parameters,
            to: directory.path, dtype: .f32) { _ in "" }
        // Weights of another shape: the error names the weights file and the tensor.
        var other = summarizer.configuration
        other.wordHiddenSize = 5
        try JSONEncoder().encode(other).write(to: URL(fileURLWithPath: directory.path + "/config.json"))
        #expect {
            try Summarizer(directory: directory.path)
        } throws: { error in
            "\(error)".contains("weights.safetensors") && "\(error)".contains("words.0.forward")
        }
        try Data(#"{"format": "stmd-text-classifier-1"}"#.utf8).write(to: URL(fileURLWithPath: directory.path + "/config.json"))
        #expect(throws: ModelLoadError.self) { try Summarizer(directory: directory.path) }
    }

    @Test func corpusErrorsNameTheFile() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: SummaryDataError.self) { try SummaryCorpus.load(directory: directory.path) }
        try FileManager.default.createDirectory(atPath: directory.path + "/articles/tech", withIntermediateDirectories: true)
        try Data(Self.article.utf8).write(to: URL(fileURLWithPath: directory.path + "/articles/tech/001.txt"))
        #expect(throws: SummaryDataError.layout(
            path: directory.path + "/summaries/tech/001.txt", reason: "missing summary for \(directory.path)/articles/tech/001.txt")
        ) { try SummaryCorpus.load(directory: directory.path) }
    }

    @Test func splitIsDeterministicPerTopic() {
        let examples = (0..<25).map { i in
            SummaryCorpus.makeExample(name: "t/\(i).txt", topic: i < 20 ? "a" : "b", article: Self.article, reference: "")
        }
        let (training, dev, validation) = SummaryCorpus(examples: examples).split()
        #expect(validation.map(\.name) == ["t/9.txt", "t/19.txt"])
        #expect(dev.map(\.name) == ["t/4.txt", "t/14.txt", "t/24.txt"])
        #expect(training.count == 20)
    }

    @Test func annotatorWritesASummaryTaskThatRoundTrips() throws {
        let summarizer = Self.makeSummarizer(features: true)
        let annotator = DocumentAnnotator(models: [("summary", .summarizer(summarizer))])
        let annotation = annotator.annotate(contents: Array(Self.article.utf8), name: Array("a.txt".utf8))
        guard case .summary(let summary)? = annotation.tasks["summary"] else {
            Issue.record("no summary result: \(annotation.tasks)")
            return
        }
        #expect(summary.model == "tiny" && summary.candidates == 4 && summary.sentences.count == 2)
        #expect(summary.sentences.map(\.index) == summary.sentences.map(\.index).sorted())
        let scores = summarizer.scores(SummaryDocument(text: Self.article))
        for sentence in summary.sentences { #expect(abs(sentence.score - scores[sentence.index]) < 1e-12) }
        let json = String(decoding: try annotation.encoded(), as: UTF8.self)
        #expect(json.contains(#""kind":"summarize""#))
        let decoded = try Annotation.decode(try annotation.encoded())
        guard case .summary(let again)? = decoded.tasks["summary"] else {
            Issue.record("summary did not decode: \(json)")
            return
        }
        #expect(again.sentences.map(\.text) == summary.sentences.map(\.text) && again.candidates == 4)
    }
}
