import Foundation
import STMTasks
import STMText
import Testing

/// The committed `Models/topic-news-context` against the committed `Models/topic-news` it extends.
struct ShippedContextHeadTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models").path

    @Test func zeroStateGivesTopicNewsOwnProbabilitiesAndContextMovesThem() throws {
        let classifier = try TextClassifier(directory: Self.models + "/topic-news")
        let head = try ContextHead(directory: Self.models + "/topic-news-context")
        try head.checkBase(classifier)
        #expect(head.baseModelName == "topic-news")
        let ambiguous = "The company said its new software would help banks cut costs as markets fell."
        let (classification, vector) = classifier.analyze(tokens: classifier.featurizer.encoder.tokens(ambiguous))
        for state in [[], [Float](repeating: 0, count: head.stateSize)] {
            let probabilities = head.probabilities(documentVector: vector, state: state)
            #expect(zip(probabilities, classification.scores).allSatisfy { abs($0 - $1) < 1e-5 }, "\(probabilities) vs \(classification.scores)")
        }
        // After a run of sports stories, the same document leans further towards Sports.
        var state: [Float] = []
        for text in [
            "The striker scored twice as the home team won the league title on Sunday.",
            "The coach praised his players after a hard-fought win in the cup final.",
            "The champion reached the semifinals of the tennis tournament with a straight-sets victory.",
        ] {
            state = head.advance(state: state, documentVector: classifier.analyze(tokens: classifier.featurizer.encoder.tokens(text)).documentVector)
        }
        #expect(state.count == head.stateSize)
        let sports = try #require(head.labels.firstIndex(of: "Sports"))
        let withContext = head.probabilities(documentVector: vector, state: state)
        #expect(withContext[sports] > classification.scores[sports])
        // Fully decayed: back to the context-free answer.
        let decayed = head.probabilities(documentVector: vector, state: state.map { $0 * 0 })
        #expect(zip(decayed, classification.scores).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func refusesAnotherBaseModel() throws {
        let head = try ContextHead(directory: Self.models + "/topic-news-context")
        let other = try TextClassifier(directory: Self.models + "/topic-bbc")
        #expect(throws: ModelLoadError.self) { try head.checkBase(other) }
    }
}
