import STMTensor

/// A generated sentiment task that needs word order and interaction, not a bag of words: the label is the
/// adjective's polarity, flipped by "not" and flipped back by "not" + "un-" style double negation
/// ("not bad" is positive). A linear model over word counts cannot represent the flip; a recurrent one can.
struct ToySentimentCorpus {
    struct Example {
        let tokens: [Int]
        let label: Int
        let text: String
    }

    let vocabulary: [String]
    let training: [Example]
    let validation: [Example]

    init(seed: UInt64, trainingCount: Int = 800, validationCount: Int = 200) {
        let subjects = ["the film", "this phone", "the service", "my day", "the soup", "our trip"]
        let verbs = ["was", "is", "seemed", "felt"]
        let adverbs = ["", "really", "very", "quite", "rather"]
        let positive = ["good", "great", "lovely", "fine", "superb"]
        let negative = ["bad", "awful", "dull", "poor", "boring"]
        let words = Set((subjects + verbs + adverbs + positive + negative + ["not", "."]).flatMap { $0.split(separator: " ").map(String.init) })
        vocabulary = ["<pad>"] + words.sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        var generator = SplitMix64(seed: seed)
        func pick(_ list: [String]) -> String { list[Int(generator.next() % UInt64(list.count))] }
        func example() -> Example {
            let isPositive = generator.next() % 2 == 0
            let negated = generator.next() % 2 == 0
            let adjective = pick(isPositive != negated ? positive : negative)
            let parts = [pick(subjects), pick(verbs), negated ? "not" : "", pick(adverbs), adjective, "."]
            let text = parts.filter { !$0.isEmpty }.joined(separator: " ")
            let tokens = text.split(separator: " ").map { index[String($0)]! }
            return Example(tokens: tokens, label: isPositive ? 1 : 0, text: text)
        }
        training = (0..<trainingCount).map { _ in example() }
        validation = (0..<validationCount).map { _ in example() }
    }
}
