import STMMemory
import STMTasks
import Testing

/// Window, statistics and state, with event times given by the test (the "clock" is the documents' mtimes).
struct StreamMemoryTests {
    static func document(
        _ index: Int, time: Double, vector: [Float], topic: String = "World", sentiment: Double? = 0.5, hash: String? = nil
    ) -> MemoryDocument {
        MemoryDocument(
            sha256: hash ?? Self.hash(index), name: "doc\(index).txt", time: time,
            vector: vector, labels: ["topic": topic], topicLabelCount: 4, sentiment: sentiment)
    }

    static func hash(_ index: Int) -> String {
        String(index, radix: 16).leftPadded(to: 16) + String(repeating: "0", count: 48)
    }

    @Test func stateDecaysWithEventTimeNotWallClock() {
        var state = StreamState(vector: [2, -4])
        #expect(state.decay(to: 1000, decayTime: 100) == 1, "the first document sets the time, no decay")
        let factor = state.decay(to: 1100, decayTime: 100)
        #expect(abs(factor - 0.36787944117) < 1e-9)
        #expect(abs(state.vector[0] - 2 * 0.36787944) < 1e-6 && abs(state.vector[1] + 4 * 0.36787944) < 1e-6)
        #expect(state.latestTime == 1100)
    }

    @Test func anOlderDocumentNeitherDecaysNorRewindsTime() {
        var state = StreamState(vector: [1], latestTime: 5000)
        #expect(state.decay(to: 4000, decayTime: 10) == 1)
        #expect(state.vector == [1])
        #expect(state.latestTime == 5000)
    }

    @Test func windowKeepsTheLastKBySequence() {
        var memory = StreamMemory(settings: MemorySettings(windowCapacity: 3))
        for index in 1...5 { _ = memory.apply(Self.document(index, time: Double(index), vector: [Float(index), 1])) }
        #expect(memory.window.entries.map(\.sequence) == [3, 4, 5])
        #expect(memory.state.documentCount == 5)
    }

    @Test func windowDropsEntriesOlderThanTheAgeLimitRelativeToTheLatestEventTime() {
        var memory = StreamMemory(settings: MemorySettings(maximumAge: 100))
        _ = memory.apply(Self.document(1, time: 1000, vector: [1, 0]))
        _ = memory.apply(Self.document(2, time: 1050, vector: [1, 0]))
        // 1,000 s later by the documents' clock: both are too old now.
        let step = memory.apply(Self.document(3, time: 2050, vector: [1, 0]))
        #expect(step.section.window == 0)
        #expect(step.section.novelty == 1)
        #expect(memory.window.entries.map(\.sequence) == [3])
    }

    @Test func outOfOrderMtimesAreCountedAndKeptWhenWithinTheAgeLimit() {
        // rsync -a: a file whose mtime is older than what the stream has seen arrives later.
        var memory = StreamMemory(settings: MemorySettings(maximumAge: 100))
        _ = memory.apply(Self.document(1, time: 1000, vector: [1, 0]))
        let late = memory.apply(Self.document(2, time: 950, vector: [1, 0]))
        #expect(late.section.state.decay == 1)
        #expect(late.section.sequence == 2)
        #expect(memory.state.latestTime == 1000)
        #expect(memory.window.entries.map(\.sequence) == [1, 2])
        // Far older than the age limit: counted, compared, but not kept.
        let ancient = memory.apply(Self.document(3, time: 10, vector: [0, 1]))
        #expect(ancient.section.sequence == 3 && ancient.section.window == 2)
        #expect(memory.window.entries.map(\.sequence) == [1, 2])
    }

    @Test func relatedNoveltyAndNearDuplicates() {
        var memory = StreamMemory(settings: MemorySettings(relatedCount: 2, nearDuplicateSimilarity: 0.98))
        _ = memory.apply(Self.document(1, time: 1, vector: [1, 0, 0]))
        _ = memory.apply(Self.document(2, time: 2, vector: [0, 1, 0]))
        _ = memory.apply(Self.document(3, time: 3, vector: [1, 1, 0]))
        let step = memory.apply(Self.document(4, time: 4, vector: [2, 0.1, 0]))
        #expect(step.section.related.map(\.name) == ["doc1.txt", "doc3.txt"])
        let cosine = 2 / (4.01 as Double).squareRoot()
        #expect(abs(step.section.related[0].similarity - cosine) < 1e-6)
        #expect(abs(step.section.novelty - (1 - cosine)) < 1e-6)
        #expect(step.section.nearDuplicate == true && step.section.duplicateOf == step.section.related[0].id)
        let orthogonal = memory.apply(Self.document(5, time: 5, vector: [0, 0, 3]))
        #expect(orthogonal.section.novelty == 1)
        #expect(!orthogonal.section.nearDuplicate)
        // The same bytes again are a duplicate whatever the vector.
        let again = memory.apply(Self.document(6, time: 6, vector: [0, 0, -1], hash: Self.hash(2)))
        #expect(again.section.nearDuplicate)
        #expect(again.section.duplicateOf == String(Self.hash(2).prefix(16)))
    }

    @Test func rollingLabelDistributionAndSentimentMeanIncludeTheDocument() {
        var memory = StreamMemory(settings: MemorySettings(windowCapacity: 4))
        let topics = ["World", "World", "Sports", "World", "Sports"]
        let sentiments = [1.0, 0.5, -1.0, nil, 0.0]
        var last: StreamMemory.Step?
        for (index, topic) in topics.enumerated() {
            last = memory.apply(Self.document(index, time: Double(index), vector: [1], topic: topic, sentiment: sentiments[index]))
        }
        // Window: documents 2…5 (World, Sports, World, Sports); sentiments 0.5, −1, nil, 0.
        #expect(last?.section.labelDistribution == ["topic": ["World": 0.5, "Sports": 0.5]])
        #expect(last?.section.sentimentMean == -0.5 / 3)
    }

    @Test func sentimentFromClassifierLabels() {
        #expect(MemoryDocument.sentiment(labels: ["negative", "positive"], probabilities: [0.25, 0.75]) == 0.5)
        #expect(MemoryDocument.sentiment(labels: ["World", "Sports"], probabilities: [0.5, 0.5]) == nil)
    }

    /// A deterministic stand-in for the context head the ML side delivers (a test double, not a model): the state
    /// is an exponential average of the document vectors, and the probabilities lean towards the state's first
    /// component. With an empty state it answers like a context-free head would (0.5/0.5).
    final class AveragingContextHead: StreamContextModel {
        let stateSize = 2
        let documentVectorSize = 2
        var calls: [String] = []
        func advance(state: [Float], documentVector: [Float]) -> [Float] {
            calls.append("advance")
            let previous = state.isEmpty ? [0, 0] : state
            return zip(previous, documentVector).map { 0.5 * $0 + 0.5 * $1 }
        }
        func probabilities(documentVector: [Float], state: [Float]) -> [Float] {
            calls.append("probabilities(state: \(state))")
            let lean = state.first ?? 0
            return [0.5 + lean / 4, 0.5 - lean / 4]
        }
    }

    /// A stream whose tasks do not run the head's base model has no document vector the head can read: the head is
    /// skipped (no context, `s` unchanged) instead of stopping the daemon.
    @Test func aDocumentWithoutTheHeadsVectorIsNotReadByIt() {
        let head = AveragingContextHead()
        var memory = StreamMemory(settings: MemorySettings(decayTime: 100))
        _ = memory.apply(Self.document(1, time: 0, vector: [1, 0]), contextHead: (head, ["a", "b"]))
        let before = memory.state.vector
        let step = memory.apply(Self.document(2, time: 0, vector: []), contextHead: (head, ["a", "b"]))
        #expect(step.contextProbabilities == nil)
        #expect(memory.state.vector == before)
        #expect(memory.state.documentCount == 2)
    }

    @Test func contextHeadReadsTheDecayedStateOfThePreviousDocuments() {
        let head = AveragingContextHead()
        var memory = StreamMemory(settings: MemorySettings(decayTime: 100))
        let first = memory.apply(Self.document(1, time: 0, vector: [1, 0]), contextHead: (head, ["a", "b"]))
        #expect(first.contextProbabilities == [0.5, 0.5], "empty state: the context-free answer")
        #expect(memory.state.vector == [0.5, 0])
        // 100 s later the state has decayed by 1/e before the head reads it.
        let second = memory.apply(Self.document(2, time: 100, vector: [1, 0]), contextHead: (head, ["a", "b"]))
        let decayed = Float(0.5 * 0.36787944117)
        #expect(head.calls[2] == "probabilities(state: \([decayed, Float(0)]))")
        #expect(second.section.context?.label == "a")
        #expect(second.section.state.size == 2 && abs(second.section.state.decay - 0.36787944117) < 1e-9)
    }

    @Test func rebuildingFromStoredPartsContinuesIdentically() {
        var uninterrupted = StreamMemory(settings: MemorySettings(windowCapacity: 5))
        var generator = DriftDetectionTests.Generator(state: 3)
        var documents: [MemoryDocument] = []
        for index in 0..<60 {
            documents.append(Self.document(
                index, time: Double(index * 30), vector: (0..<6).map { _ in Float.random(in: -1...1, using: &generator) },
                topic: ["World", "Sports"][index % 2], sentiment: Double.random(in: -1...1, using: &generator)))
        }
        for document in documents.prefix(59) { _ = uninterrupted.apply(document) }
        var restored = StreamMemory(
            settings: uninterrupted.settings, state: uninterrupted.state, entries: uninterrupted.window.entries,
            sentimentDetector: uninterrupted.sentimentDetector, topicDetector: uninterrupted.topicDetector)
        #expect(restored == uninterrupted)
        #expect(restored.apply(documents[59]).section == uninterrupted.apply(documents[59]).section)
    }
}
