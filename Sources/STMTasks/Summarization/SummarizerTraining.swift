import STMModels
import STMText
import STMTensor

/// Trains an `ExtractiveSummarizerModel` on labelled articles: binary cross-entropy per sentence, Adam with
/// gradient clipping, and after every epoch the dev part's ROUGE-2 at the default length decides which
/// epoch's weights are kept (early stopping after `patience` epochs without a better one).
public struct SummarizerTraining: Sendable {
    public struct Options: Sendable {
        public var epochs = 12
        public var batchSize = 16
        public var learningRate: Float = 2e-3
        public var patience = 3
        public var seed: UInt64 = 1
        public var minimumCount = 2
        public var maximumVocabulary = 12_000
        /// Training articles are cut to this many sentences (inference reads all of them).
        public var maximumSentences = 60

        public init() {}
    }

    public var configuration: SummarizerConfiguration
    public var options: Options

    public init(configuration: SummarizerConfiguration, options: Options) {
        self.configuration = configuration
        self.options = options
    }

    public struct Result: Sendable {
        public var summarizer: Summarizer
        public var epochs: Int
        public var bestEpoch: Int
        public var bestDevRouge2: Double
        public var seconds: Double
    }

    /// The share of candidate sentences the training references keep, rounded to 0.01: the default ratio.
    public static func referenceRatio(_ examples: [SummaryCorpus.Example]) -> Double {
        let kept = examples.reduce(0) { $0 + $1.labels.filter { $0 }.count }
        let total = examples.reduce(0) { $0 + $1.labels.count }
        return max(0.01, (Double(kept) / Double(max(total, 1)) * 100).rounded() / 100)
    }

    public func run(
        training: [SummaryCorpus.Example], dev: [SummaryCorpus.Example], log: (String) -> Void
    ) throws -> Result {
        let usable = training.filter { !$0.document.sentences.isEmpty }
        let counts = Vocabulary.counts(of: usable.map { $0.document.sentences.flatMap(SummarizerConfiguration.words) })
        let vocabulary = Vocabulary(counts: counts, minimumCount: options.minimumCount, maximumSize: options.maximumVocabulary)
        let model = configuration.makeModel(vocabularySize: vocabulary.count)
        let documents = usable.map { example in
            example.document.sentences.prefix(options.maximumSentences).map { configuration.wordIDs($0, vocabulary: vocabulary) }
        }
        let labels = usable.map { example in example.labels.prefix(options.maximumSentences).map { $0 ? Float(1) : 0 } }
        // Features come from the whole article (as at inference), then are cut like the sentences.
        let features = configuration.sentenceFeatures == nil
            ? nil : usable.map { Array(configuration.features($0.document)!.prefix(options.maximumSentences)) }
        var generator = SplitMix64(seed: options.seed)
        let initial = model.makeParameters(using: &generator)
        var trainer = Trainer(
            parameters: initial, optimizer: AdamOptimizer(for: initial, learningRate: options.learningRate),
            seed: options.seed, maxGradientNorm: 5)
        log("\(usable.count) training articles, \(dev.count) dev articles, vocabulary \(vocabulary.count), \(initial.scalarCount) parameters")
        let clock = ContinuousClock()
        let started = clock.now
        var best = (epoch: 0, rouge2: -1.0, parameters: initial)
        var epochsRun = 0
        for epoch in 1...options.epochs {
            try Task.checkCancellation()
            var lossTotal = 0.0
            var batches = 0
            for batch in trainer.remainingBatches(exampleCount: documents.count, batchSize: options.batchSize) {
                let (loss, _) = trainer.train { parameters, noise in
                    model.lossAndGradients(
                        batch.map { documents[$0] }, features: features.map { all in batch.map { all[$0] } },
                        labels: batch.map { labels[$0] }, parameters: parameters,
                        using: &noise)
                }
                lossTotal += Double(loss)
                batches += 1
            }
            trainer.finishEpoch()
            epochsRun = epoch
            let summarizer = Summarizer(
                directory: "", configuration: configuration, vocabulary: vocabulary, parameters: trainer.parameters)
            let rouge2 = Self.devRouge2(summarizer, dev)
            let elapsed = Self.seconds(clock.now - started)
            log("epoch \(epoch): loss \(String(format2: lossTotal / Double(max(batches, 1)))), dev ROUGE-2 \(String(format2: rouge2 * 100)), \(String(format2: elapsed)) s")
            if rouge2 > best.rouge2 {
                best = (epoch, rouge2, trainer.parameters)
            } else if epoch - best.epoch >= options.patience {
                break
            }
        }
        return Result(
            summarizer: Summarizer(directory: "", configuration: configuration, vocabulary: vocabulary, parameters: best.parameters),
            epochs: epochsRun, bestEpoch: best.epoch, bestDevRouge2: best.rouge2, seconds: Self.seconds(clock.now - started))
    }

    /// Mean ROUGE-2 F1 of the summarizer's default-length summaries (1 for an empty dev set, so any epoch works).
    static func devRouge2(_ summarizer: Summarizer, _ dev: [SummaryCorpus.Example]) -> Double {
        guard !dev.isEmpty else { return 1 }
        let scorer = RougeScorer()
        var total = 0.0
        for example in dev {
            let scores = summarizer.scores(example.document)
            let count = SummaryLength.ratio(summarizer.configuration.defaultRatio).count(for: scores.count)
            let text = SummaryLength.top(scores, count: count).map { example.document.sentences[$0] }.joined(separator: "\n")
            total += scorer.score(prediction: text, reference: example.reference).rouge2.f1
        }
        return total / Double(dev.count)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
