import Foundation
import STMModels
import STMTasks
import STMText
import STMTensor
import STMTesting
import Testing

/// A generated three-topic corpus: each label has its own keywords, mixed with shared filler words, so a
/// working classifier separates it almost perfectly and a broken one cannot.
enum KeywordCorpus {
    static let keywords = [
        "sport": ["match", "goal", "team", "coach", "league", "score"],
        "money": ["market", "shares", "profit", "bank", "investors", "prices"],
        "space": ["rocket", "orbit", "planet", "nasa", "launch", "telescope"],
    ]
    static let filler = ["the", "a", "today", "said", "after", "new", "report", "on", "with", "big"]

    static func examples(perLabel: Int, seed: UInt64) -> [LabeledExample] {
        var generator = SplitMix64(seed: seed)
        var examples: [LabeledExample] = []
        for (label, words) in keywords.sorted(by: { $0.key < $1.key }) {
            for index in 0..<perLabel {
                let length = 5 + Int(generator.next() % 6)
                let tokens = (0..<length).map { position -> String in
                    position % 3 == 1 ? words[Int(generator.next() % UInt64(words.count))]
                        : filler[Int(generator.next() % UInt64(filler.count))]
                }
                examples.append(LabeledExample(text: tokens.joined(separator: " "), label: label, source: "generated:\(label):\(index)"))
            }
        }
        return examples
    }

    static func configuration(ensemble: Int? = nil) -> ClassifierConfiguration {
        var configuration = ClassifierConfiguration(
            name: "keywords", labels: [], cell: .gru, embeddingSize: 8, hiddenSize: 8, bagSize: 4,
            features: FeatureSettings(subwordBuckets: 512, bigramBuckets: 64, minimumCount: 1),
            inferencePrecision: .f32)
        configuration.ensembleSize = ensemble
        return configuration
    }

    static func options(epochs: Int = 8) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 16
        options.learningRate = 2e-2
        options.warmupSteps = 5
        options.patience = 10
        options.seed = 11
        return options
    }
}

@Suite(.serialized)
struct ClassifierTrainingTests {
    let training = LabeledDataset(examples: KeywordCorpus.examples(perLabel: 60, seed: 1))

    @Test func reachesNinetyFivePercentOnHeldOutKeywords() throws {
        let trained = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options())
            .run(training: training, validation: nil) { _ in }
        #expect(trained.configuration.labels == ["money", "space", "sport"])
        // 10% of 180 held out, stratified: 6 per label.
        #expect(trained.validation.total == 18)
        #expect(trained.validation.confusion.allSatisfy { $0.reduce(0, +) == 6 })
        #expect(trained.validation.accuracy >= 0.95)
        // A fresh, separately generated test set: the model learnt the keywords, not the examples.
        let test = KeywordCorpus.examples(perLabel: 30, seed: 99)
        let directory = try TemporaryDirectory()
        try ClassifierBundle.write(trained, record: record(for: trained), to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        let classifier = try TextClassifier(directory: directory.path)
        let correct = zip(classifier.classify(test.map(\.text)), test).filter { $0.label == $1.label }.count
        #expect(Double(correct) / Double(test.count) >= 0.95)
    }

    @Test func bundleRoundTripGivesIdenticalPredictions() throws {
        let trained = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options(epochs: 3))
            .run(training: training, validation: nil) { _ in }
        let directory = try TemporaryDirectory()
        try ClassifierBundle.write(trained, record: record(for: trained), to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        for name in ["config.json", "vocabulary.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: directory.path + "/" + name), "\(name) missing")
        }
        let card = try String(contentsOfFile: directory.path + "/MODEL.md", encoding: .utf8)
        #expect(card.contains("stmd train classify --test"))
        let texts = training.examples.prefix(40).map(\.text) + ["", "unseen words entirely", "rocket rocket market"]
        let first = try TextClassifier(directory: directory.path).classify(texts)
        let second = try TextClassifier(directory: directory.path).classify(texts)
        #expect(first == second)
        // The loaded model predicts exactly what training measured on its validation split.
        let validation = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options(epochs: 3))
            .run(training: training, validation: nil) { _ in }.validation
        #expect(validation == trained.validation)
        // Probabilities are distributions.
        for result in first { #expect(abs(result.scores.reduce(0, +) - 1) < 1e-5) }
    }

    @Test func sameSeedGivesSameWeightsWhateverTheThreadCount() throws {
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        BLAS.threadCount = 1
        let one = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options(epochs: 2))
            .run(training: training, validation: nil) { _ in }
        BLAS.threadCount = 2
        let two = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options(epochs: 2))
            .run(training: training, validation: nil) { _ in }
        #expect(one.tensors == two.tensors)
    }

    @Test func resumedRunEndsWithTheSameWeights() throws {
        let options = KeywordCorpus.options(epochs: 4)
        let straight = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: options)
            .run(training: training, validation: nil) { _ in }
        // Run again with a checkpoint, and keep a copy of the checkpoint as it stood after epoch 2: it is written
        // right after the epoch's report, so the copy is taken at the next epoch's report.
        let checkpoints = try TemporaryDirectory()
        let saved = try TemporaryDirectory()
        var withCheckpoint = options
        withCheckpoint.checkpointDirectory = checkpoints.path + "/run"
        _ = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: withCheckpoint)
            .run(training: training, validation: nil) { event in
                if case .epochFinished(let epoch, _, _, _, _, _) = event, epoch == 3 {
                    try? FileManager.default.copyItem(atPath: checkpoints.path + "/run", toPath: saved.path + "/after-2")
                }
            }
        var resume = options
        resume.checkpointDirectory = saved.path + "/after-2"
        resume.resume = true
        var resumedAt: Int?
        let resumed = try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: resume)
            .run(training: training, validation: nil) { event in
                if case .resumed(let epoch) = event { resumedAt = epoch }
            }
        #expect(resumedAt == 2)
        #expect(resumed.tensors == straight.tensors)
        #expect(resumed.validation == straight.validation)
    }

    @Test func resumeWithoutACheckpointIsAClearError() throws {
        let empty = try TemporaryDirectory()
        var options = KeywordCorpus.options(epochs: 1)
        options.checkpointDirectory = empty.path + "/none"
        options.resume = true
        #expect {
            try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: options).run(training: training, validation: nil) { _ in }
        } throws: { error in
            String(describing: error).contains("no checkpoint")
        }
    }

    @Test func ensembleMembersAreStoredAndAveraged() throws {
        let trained = try ClassifierTraining(configuration: KeywordCorpus.configuration(ensemble: 2), options: KeywordCorpus.options())
            .run(training: training, validation: nil) { _ in }
        #expect(trained.tensors.keys.contains { $0.hasPrefix("members.0.") })
        #expect(trained.tensors.keys.contains { $0.hasPrefix("members.1.") })
        #expect(trained.tensors["members.0.head.bias"] != trained.tensors["members.1.head.bias"])
        let directory = try TemporaryDirectory()
        try ClassifierBundle.write(trained, record: record(for: trained), to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        let classifier = try TextClassifier(directory: directory.path)
        #expect(classifier.configuration.ensembleSize == 2)
        let test = KeywordCorpus.examples(perLabel: 20, seed: 5)
        let correct = zip(classifier.classify(test.map(\.text)), test).filter { $0.label == $1.label }.count
        #expect(Double(correct) / Double(test.count) >= 0.9)
    }

    @Test func documentVectorsMatchTheClassificationAndSeparateTopics() throws {
        let trained = try ClassifierTraining(configuration: KeywordCorpus.configuration(ensemble: 2), options: KeywordCorpus.options())
            .run(training: training, validation: nil) { _ in }
        let directory = try TemporaryDirectory()
        try ClassifierBundle.write(trained, record: record(for: trained), to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        let classifier = try TextClassifier(directory: directory.path)
        let test = KeywordCorpus.examples(perLabel: 10, seed: 21)
        let batched = classifier.documentVectors(test.map(\.text))
        var vectors: [[Float]] = []
        for (example, batchVector) in zip(test, batched) {
            let tokens = classifier.featurizer.encoder.tokens(example.text)
            let (classification, vector) = classifier.analyze(tokens: tokens)
            #expect(classification == classifier.classify(tokens: tokens))
            #expect(vector.count == classifier.documentVectorSize)
            let largestDifference = zip(vector, batchVector).map { abs($0 - $1) }.max() ?? 0
            #expect(largestDifference < 1e-5)
            vectors.append(vector)
        }
        // Members' vectors are joined: twice one member's width.
        #expect(classifier.documentVectorSize % 2 == 0 && classifier.documentVectorSize > 0)
        // Documents of one topic are closer to each other than to other topics' documents, on average.
        func cosine(_ a: [Float], _ b: [Float]) -> Float {
            let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
            let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
            return dot / max(norms, 1e-12)
        }
        var same: [Float] = [], different: [Float] = []
        for i in test.indices {
            for j in test.indices where j > i {
                let similarity = cosine(vectors[i], vectors[j])
                if test[i].label == test[j].label { same.append(similarity) } else { different.append(similarity) }
            }
        }
        let meanSame = same.reduce(0, +) / Float(same.count)
        let meanDifferent = different.reduce(0, +) / Float(different.count)
        #expect(meanSame > meanDifferent + 0.1)
    }

    @Test func validationLabelsMustBeKnown() {
        let validation = LabeledDataset(examples: [LabeledExample(text: "x", label: "weather", source: "valid.tsv:3")])
        #expect {
            try ClassifierTraining(configuration: KeywordCorpus.configuration(), options: KeywordCorpus.options(epochs: 1))
                .run(training: training, validation: validation) { _ in }
        } throws: { error in
            String(describing: error).contains("valid.tsv:3") && String(describing: error).contains("weather")
        }
    }

    private func record(for trained: TrainedClassifier) -> TrainingRecord {
        TrainingRecord(
            command: "stmd train classify --test", data: "generated", validationData: nil, trainingExamples: trained.trainingExamples,
            validationExamples: trained.validation.total, epochs: trained.epochs, bestEpoch: trained.bestEpoch, seed: 11, threads: 1,
            trainingSeconds: trained.seconds, validation: trained.validation.summary)
    }
}
