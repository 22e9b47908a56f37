import Foundation
import STMLogs
import STMModels
import STMTensor
import STMTesting
import Testing

/// A detector trained on a strict cycle of five templates (ids 11…15): the model can learn it exactly, so
/// with g = 1 anything else is an anomaly.
struct LogAnomalyDetectorTests {
    static let cycle = [11, 12, 13, 14, 15]

    static func trainedBundle(candidates: Int = 1) -> LogModelBundle {
        let vocabulary = TemplateVocabulary(capacity: 8, templateIds: cycle)
        let model = NextKeyModel(classCount: 8, embeddingSize: 8, hiddenSize: 16)
        var generator = SplitMix64(seed: 5)
        let sessions = (0..<40).map { start in (0..<30).map { cycle[($0 + start) % cycle.count] } }
        let windows = sessions.flatMap { model.windows(of: $0.map(vocabulary.classIndex(of:)), window: 10) }
        let parameters = NextKeyTraining.train(
            model, parameters: model.makeParameters(using: &generator), windows: windows,
            options: NextKeyTrainingOptions(epochs: 30, batchSize: 16, learningRate: 1e-2))
        let configuration = LogModelConfiguration(
            name: "cycle", source: .keys, embeddingSize: 8, hiddenSize: 16,
            detector: LogDetectorSettings(window: 10, candidates: candidates), vocabulary: vocabulary)
        return LogModelBundle(configuration: configuration, parameters: parameters, templates: nil)
    }

    @Test func aNormalSequenceIsNotFlaggedAndAnInjectedOneIs() throws {
        var detector = Self.trainedBundle().makeDetector()
        detector.startStream()
        let normal = (0..<60).map { Self.cycle[($0 + 2) % 5] }
        let flaggedNormal = normal.map { detector.observe($0) }.filter(\.isAnomalous)
        #expect(flaggedNormal.isEmpty, "\(flaggedNormal)")
        // After …13, 14 comes 15; 12 instead is a known template out of place.
        let next = normal.last! == 15 ? 11 : normal.last! + 1
        let verdict = detector.observe(next == 12 ? 14 : 12)
        #expect(verdict.reason == .unexpected)
        #expect(verdict.predicted == [next])
        #expect(verdict.context == Array(normal.suffix(10)))
        let unknown = detector.observe(99)
        #expect(unknown.reason == .unknownTemplate && unknown.isAnomalous)
    }

    @Test func theLearningPeriodLearnsAStreamFromNothing() {
        var detector = LogAnomalyDetector(
            classCapacity: 16, embeddingSize: 8, hiddenSize: 16,
            settings: LogDetectorSettings(
                window: 10, candidates: 1, learningLines: 600, updateInterval: 100, updateEpochs: 4, learningRate: 1e-2)
        )
        for i in 0..<600 {
            #expect(detector.observe(Self.cycle[i % 5]).reason == .learning)
        }
        #expect(!detector.isLearning)
        #expect(detector.vocabulary.templateIds == Self.cycle)
        let afterLearning = (600..<700).map { detector.observe(Self.cycle[$0 % 5]) }
        #expect(afterLearning.filter(\.isAnomalous).count == 0)
        let outOfPlace = detector.observe(13)  // 700 % 5 == 0: 11 was due
        #expect(outOfPlace.isAnomalous)
    }

    @Test func operatorFeedbackTeachesAFalsePositive() {
        // g = 2: the cycle's own successor stays first, the taught one can be second.
        var detector = Self.trainedBundle(candidates: 2).makeDetector()
        for i in 0..<23 { _ = detector.observe(Self.cycle[i % 5]) }
        let verdict = detector.observe(11)  // 14 was due
        #expect(verdict.reason == .unexpected)
        #expect(verdict.predicted.first == 14)
        let learned = detector.markNormal(verdict)
        #expect(learned)
        // Served again, the same stream is no longer flagged at that line.
        detector.startStream()
        for i in 0..<23 { _ = detector.observe(Self.cycle[i % 5]) }
        let again = detector.observe(11)
        #expect(!again.isAnomalous, "\(again)")
        // The unknown template becomes known through feedback too.
        let unknown = detector.observe(42)
        #expect(unknown.reason == .unknownTemplate)
        let learnedUnknown = detector.markNormal(unknown)
        #expect(learnedUnknown)
        #expect(detector.vocabulary.classIndex(of: 42) == 6)
    }

    @Test func aBundleRoundTripsThroughItsFolder() throws {
        let bundle = Self.trainedBundle(candidates: 2)
        let folder = try TemporaryDirectory()
        try bundle.write(to: folder.path + "/model", card: "# cycle\n")
        let loaded = try LogModelBundle(directory: folder.path + "/model")
        #expect(loaded.configuration == bundle.configuration)
        let loadedTensors = loaded.parameters.namedTensors.map(\.tensor)
        let savedTensors = bundle.parameters.namedTensors.map(\.tensor)
        #expect(loadedTensors == savedTensors)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder.path + "/model/config.json"))
        #expect(throws: LogModelError.self) { try LogModelBundle(directory: folder.path + "/model") }
    }
}

struct LogDetectorCheckpointTests {
    @Test func aRestoredDetectorJudgesTheNextLinesExactlyAsTheOriginal() throws {
        var original = LogAnomalyDetectorTests.trainedBundle(candidates: 2).makeDetector()
        let cycle = LogAnomalyDetectorTests.cycle
        for i in 0..<37 { _ = original.observe(cycle[i % 5]) }
        var restored = try LogAnomalyDetector(checkpoint: original.checkpoint())
        #expect(restored.linesSeen == 37)
        #expect(restored.vocabulary == original.vocabulary)
        // Mostly the cycle, with intruders: every verdict (reason, rank, probability, predictions, context) matches.
        let next: [Int] = (37..<90).map { (i: Int) -> Int in
            if i % 11 == 0 { return 42 }
            return i % 7 == 0 ? cycle[(i + 2) % 5] : cycle[i % 5]
        }
        var anomalies = 0
        for id in next {
            let a = original.observe(id)
            let b = restored.observe(id)
            #expect(a == b, "line with template \(id)")
            if a.isAnomalous { anomalies += 1 }
        }
        #expect(anomalies > 5)
    }

    @Test func damagedCheckpointsAreRejected() throws {
        let detector = LogAnomalyDetectorTests.trainedBundle().makeDetector()
        var bytes = detector.checkpoint()
        #expect(throws: LogModelError.self) { try LogAnomalyDetector(checkpoint: Array(bytes.prefix(40))) }
        bytes[bytes.count - 1] ^= 0xFF  // weights change, structure does not: still loads
        _ = try LogAnomalyDetector(checkpoint: bytes)
        #expect(throws: LogModelError.self) { try LogAnomalyDetector(checkpoint: Array("not a checkpoint".utf8)) }
    }
}
