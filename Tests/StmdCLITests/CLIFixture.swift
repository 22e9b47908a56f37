import Foundation
import STMTesting
import Testing

/// A separable three-label corpus: each label draws its keywords from its own vocabulary, mixed with shared filler
/// words, in a seeded order. A bag of words separates it, so a tiny model trained for a few epochs must too.
enum Corpus {
    static let vocabularies: [(label: String, words: [String])] = [
        ("cooking", ["recipe", "oven", "flour", "butter", "simmer", "garlic", "onion", "bake", "sauce", "pepper"]),
        (
            "space",
            ["rocket", "orbit", "planet", "astronaut", "galaxy", "telescope", "comet", "lunar", "launch", "nebula"]
        ),
        ("sports", ["goal", "match", "team", "score", "referee", "stadium", "striker", "league", "coach", "penalty"]),
    ]
    static let labels = vocabularies.map(\.label)
    static let filler = ["the", "a", "of", "and", "with", "today", "this", "was"]

    /// `count` examples per label, label by label; `seed` picks the split (train, validation, test differ).
    static func examples(perLabel count: Int, seed: UInt64) -> [(text: String, label: String)] {
        var generator = Generator(seed: seed)
        var examples: [(text: String, label: String)] = []
        for (label, words) in vocabularies {
            for _ in 0..<count {
                var tokens = (0..<generator.below(5) + 4).map { _ in words[generator.below(words.count)] }
                tokens += (0..<generator.below(3) + 2).map { _ in filler[generator.below(filler.count)] }
                for i in stride(from: tokens.count - 1, to: 0, by: -1) { tokens.swapAt(i, generator.below(i + 1)) }
                examples.append((tokens.joined(separator: " "), label))
            }
        }
        return examples
    }

    /// One more document of `label`, drawn like the others (so the model has seen its kind), with a final newline.
    static func document(_ label: String, seed: UInt64) -> String {
        examples(perLabel: 1, seed: seed).first { $0.label == label }!.text + "\n"
    }

    static func tsv(_ examples: [(text: String, label: String)]) -> String {
        examples.map { "\($0.text)\t\($0.label)\n" }.joined()
    }

    static func fastText(_ examples: [(text: String, label: String)]) -> String {
        examples.map { "__label__\($0.label) \($0.text)\n" }.joined()
    }

    /// `DIR/<label>/NNN.txt`, one example per file.
    static func writeFolders(_ examples: [(text: String, label: String)], to directory: String) throws {
        for (index, example) in examples.enumerated() {
            let folder = directory + "/" + example.label
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try write(example.text + "\n", to: folder + "/" + String(format: "%03d.txt", index))
        }
    }

    /// SplitMix64, written out here so the fixture depends on nothing under test.
    struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func write(bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Files shared by the whole suite, made once: the corpus in every format and a tiny model trained on it.
struct CLIFixture: Sendable {
    @TaskLocal static var current: CLIFixture?

    let root: TemporaryDirectory
    /// `train.tsv` (60 per label), `valid.tsv` (12 per label), `test.tsv` / `test.ft` / `test-folders/` (the same
    /// 20 per label in three formats), `train.ft`, `train-folders/`.
    let data: String
    /// The folder that holds the bundle (what `--models` and `STMD_MODELS` name).
    let models: String
    let modelName = "tiny"
    var bundle: String { models + "/" + modelName }
    /// `stmd train classify` of the bundle, kept for the tests that check its output.
    let training: ProcessResult
    let trainingArguments: [String]

    static let testPerLabel = 20
    static let trainPerLabel = 60
    static let validPerLabel = 12

    /// The model's size and schedule: a few seconds at most. Batches of 8 at a higher learning rate give the
    /// model enough steps in 4 epochs to separate the corpus.
    static let smallModel = [
        "--hidden", "8", "--embedding-size", "8", "--bag-size", "4", "--subword-buckets", "64", "--bigram-buckets",
        "64",
        "--dtype", "f32", "--batch-size", "8", "--learning-rate", "0.02",
    ]

    static func make() async throws -> CLIFixture {
        let root = try TemporaryDirectory(prefix: "stmd-cli-test")
        let data = root.path + "/data"
        let models = root.path + "/models"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)

        let train = Corpus.examples(perLabel: trainPerLabel, seed: 1)
        let valid = Corpus.examples(perLabel: validPerLabel, seed: 2)
        let test = Corpus.examples(perLabel: testPerLabel, seed: 3)
        try write(Corpus.tsv(train), to: data + "/train.tsv")
        try write(Corpus.fastText(train), to: data + "/train.ft")
        try Corpus.writeFolders(train, to: data + "/train-folders")
        try write(Corpus.tsv(valid), to: data + "/valid.tsv")
        try write(Corpus.tsv(test), to: data + "/test.tsv")
        try write(Corpus.fastText(test), to: data + "/test.ft")
        try Corpus.writeFolders(test, to: data + "/test-folders")

        let arguments =
            [
                "train", "classify", "--data", data + "/train.tsv", "--valid", data + "/valid.tsv", "--out",
                models + "/tiny",
                "--epochs", "4",
            ] + smallModel
        let training = try await Stmd.run(arguments, in: root.path)
        return CLIFixture(root: root, data: data, models: models, training: training, trainingArguments: arguments)
    }

    /// The fixture of the running suite (set by `.trainedModel`).
    static func shared() throws -> CLIFixture {
        try #require(current, "the suite needs the .trainedModel trait")
    }

    /// A fresh folder inside the fixture's temporary directory.
    func scratch(_ name: String) throws -> String {
        let path = root.path + "/" + name + "-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Trains the suite's model once before its tests and removes every file after them.
struct TrainedModelTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let fixture = try await CLIFixture.make()
        try await CLIFixture.$current.withValue(fixture) { try await function() }
    }
}

extension Trait where Self == TrainedModelTrait {
    static var trainedModel: Self { Self() }
}

extension Tag {
    @Tag static var integration: Self
}
