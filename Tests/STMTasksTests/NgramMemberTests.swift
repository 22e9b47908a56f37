import Foundation
import STMModels
@testable import STMTasks
import STMText
import STMTensor
import STMTesting
import Testing

/// The n-gram member of a classifier bundle: its features, its fit, and its place in a bundle.
@Suite(.serialized)
struct NgramMemberTests {
    let training = LabeledDataset(examples: KeywordCorpus.examples(perLabel: 60, seed: 1))

    static let settings = NgramSettings(wordBuckets: 256, characterBuckets: 512, epochs: 8)

    @Test func featuresAreUnitLengthGroupsWithSmoothedIdf() {
        // Three documents; "rocket" is in one, "the" in all three.
        let documents = [["the", "rocket"], ["the", "market"], ["the", "team"]]
        let (classifier, _) = NgramTraining.train(
            documents: documents, labels: [0, 1, 2], classes: 3, settings: Self.settings, seed: 1)
        let idf = classifier.inverseDocumentFrequency
        let n: Float = 3
        let rare = logf((1 + n) / (1 + 1)) + 1, common = logf((1 + n) / (1 + 3)) + 1
        let values = Set(idf.scalars)
        #expect(values.contains(rare) && values.contains(common))
        #expect(values.contains(logf((1 + n) / 1) + 1), "rows no document has keep the largest idf")
        // The three classes are separable on their keywords: the fit gets each training document right.
        for (label, document) in documents.enumerated() {
            let probabilities = classifier.probabilities(tokens: document)
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
            #expect(probabilities.indices.max { probabilities[$0] < probabilities[$1] } == label)
        }
    }

    /// The counter's allocation-free hashing gives exactly the rows of the reference hashes.
    @Test func counterRowsAreThoseOfTheSubwordHasherAndTheBigramHash() {
        let settings = NgramSettings(wordBuckets: 1000, characterBuckets: 777, characterMinimumLength: 2, characterMaximumLength: 5)
        let tokens = ["naïve", "café", "the", "x", "😀ok", "the", "naïve"]
        let hasher = SubwordHasher(bucketCount: 777, offset: 1000, ngramLengths: 2...5)
        var expected: [Int: Float] = [:]
        for (index, token) in tokens.enumerated() {
            expected[Int(SubwordHasher.fnv1a(token.utf8) % 1000), default: 0] += 1
            if index > 0 { expected[TextFeaturizer.bigramBucket(tokens[index - 1], token, buckets: 1000), default: 0] += 1 }
            for row in hasher.buckets(for: token) { expected[row, default: 0] += 1 }
        }
        let counter = NgramCounter(settings: settings)
        let counted = counter.count(tokens: tokens)
        #expect(Dictionary(uniqueKeysWithValues: zip(counted.rows, counted.counts)) == expected)
        #expect(counted.rows[..<counted.wordRowCount].allSatisfy { $0 < 1000 })
        #expect(counted.rows[counted.wordRowCount...].allSatisfy { $0 >= 1000 })
        // The scratch counts are cleared after each document: counting again gives the same.
        let again = counter.count(tokens: tokens)
        #expect(again.rows == counted.rows && again.counts == counted.counts)
    }

    @Test func sameTokensGiveTheSameBitsInEveryInstance() {
        let documents = training.examples.map { $0.text.split(separator: " ").map(String.init) }
        let labels = training.examples.map { ["money", "space", "sport"].firstIndex(of: $0.label)! }
        let first = NgramTraining.train(documents: documents, labels: labels, classes: 3, settings: Self.settings, seed: 4)
        let second = NgramTraining.train(documents: documents, labels: labels, classes: 3, settings: Self.settings, seed: 4)
        #expect(first.classifier.weight == second.classifier.weight)
        #expect(first.loss == second.loss)
        #expect(first.loss < 0.5, "the regularised loss of a separable corpus: \(first.loss)")
    }

    @Test func trainedMemberIsStoredLoadedAndAveraged() throws {
        var configuration = KeywordCorpus.configuration()
        configuration.ngram = Self.settings
        let trained = try ClassifierTraining(configuration: configuration, options: KeywordCorpus.options(epochs: 2))
            .run(training: training, validation: nil) { _ in }
        for key in ["ngram.idf", "ngram.weight", "ngram.bias"] { #expect(trained.tensors[key] != nil, "\(key) missing") }
        #expect(Set(trained.componentValidation.keys) == ["network", "ngram"])
        #expect(trained.componentValidation["ngram"]!.accuracy >= 0.9)

        let directory = try TemporaryDirectory()
        var record = TrainingRecord(
            command: "stmd train classify --test", data: "generated", validationData: nil,
            trainingExamples: trained.trainingExamples, validationExamples: trained.validation.total, epochs: trained.epochs,
            bestEpoch: trained.bestEpoch, seed: 11, threads: 1, trainingSeconds: trained.seconds,
            validation: trained.validation.summary)
        record.componentValidation = trained.componentValidation.mapValues(\.summary)
        try ClassifierBundle.write(trained, record: record, to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        let card = try String(contentsOfFile: directory.path + "/MODEL.md", encoding: .utf8)
        #expect(card.contains("N-gram member") && card.contains("The n-gram member alone"))

        let classifier = try TextClassifier(directory: directory.path)
        #expect(classifier.configuration.ngram == Self.settings)
        #expect(classifier.headParameters == nil, "an average is not one softmax over the head")
        // The served probabilities are the weighted average of the two members, computed separately here.
        let plain = try TemporaryDirectory()
        var networkTrained = trained
        networkTrained.configuration.ngram = nil
        try ClassifierBundle.write(networkTrained, record: record, to: plain.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        let network = try TextClassifier(directory: plain.path)
        let ngram = try NgramClassifier(settings: Self.settings, classes: 3, tensors: trained.tensors)
        let test = KeywordCorpus.examples(perLabel: 10, seed: 31)
        let served = classifier.classify(test.map(\.text))
        for (example, result) in zip(test, served) {
            let tokens = classifier.featurizer.encoder.tokens(example.text)
            let a = network.classify(tokens: tokens).scores
            let b = ngram.probabilities(tokens: tokens.prefix(configuration.features.maximumTokens))
            for c in 0..<3 { #expect(abs(result.scores[c] - (0.5 * a[c] + 0.5 * b[c])) < 1e-6) }
            #expect(classifier.analyze(tokens: tokens).classification == classifier.classify(tokens: tokens))
        }
        let correct = zip(served, test).filter { $0.label == $1.label }.count
        #expect(Double(correct) / Double(test.count) >= 0.95)
    }

    @Test func aBundleMissingItsNgramTensorsIsAClearError() throws {
        var configuration = KeywordCorpus.configuration()
        configuration.ngram = Self.settings
        var trained = try ClassifierTraining(configuration: configuration, options: KeywordCorpus.options(epochs: 1))
            .run(training: training, validation: nil) { _ in }
        trained.tensors["ngram.weight"] = nil
        let directory = try TemporaryDirectory()
        let record = TrainingRecord(
            command: "stmd train classify --test", data: "generated", validationData: nil, trainingExamples: 1,
            validationExamples: 1, epochs: 1, bestEpoch: 1, seed: 1, threads: 1, trainingSeconds: 0,
            validation: trained.validation.summary)
        try ClassifierBundle.write(trained, record: record, to: directory.path, dtype: .f32, card: ModelCard(dataDescription: "generated", licence: "none"))
        #expect {
            _ = try TextClassifier(directory: directory.path)
        } throws: { error in
            String(describing: error).contains("ngram.weight") && String(describing: error).contains("weights.safetensors")
        }
    }

    @Test func badSettingsAreRefusedByName() {
        #expect(NgramSettings(weight: 1.5).validationError()?.contains("weight") == true)
        #expect(NgramSettings(wordBuckets: 0).validationError()?.contains("buckets") == true)
        var configuration = KeywordCorpus.configuration()
        configuration.labels = ["a", "b"]
        configuration.ngram = NgramSettings(characterMinimumLength: 4, characterMaximumLength: 2)
        #expect(configuration.validationError()?.contains("character n-gram lengths") == true)
    }
}
