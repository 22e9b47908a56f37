internal import Foundation
import STMText

/// Articles with reference extractive summaries in the BBC News Summary layout:
/// `articles/<topic>/<n>.txt` (first line the title) and `summaries/<topic>/<n>.txt` (article sentences run
/// together). Each article sentence is labelled 1 when the reference contains it.
public struct SummaryCorpus: Sendable {
    public struct Example: Sendable {
        /// `<topic>/<n>.txt`.
        public var name: String
        public var topic: String
        public var document: SummaryDocument
        public var reference: String
        /// One per article sentence: the reference contains it.
        public var labels: [Bool]
        /// Reference sentences found among the article's, of how many.
        public var matchedSentences: Int
        public var referenceSentences: Int
    }

    public var examples: [Example]

    public init(examples: [Example]) { self.examples = examples }

    /// Loads every article that has a summary. Errors name the file.
    public static func load(directory: String) throws(SummaryDataError) -> SummaryCorpus {
        let articles = directory + "/articles", summaries = directory + "/summaries"
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: articles, isDirectory: &isFolder), isFolder.boolValue else {
            throw .layout(path: directory, reason: "no articles/ folder (expected articles/<topic>/<n>.txt and summaries/<topic>/<n>.txt)")
        }
        let topics: [String]
        do {
            topics = try manager.contentsOfDirectory(atPath: articles).sorted().filter {
                var folder: ObjCBool = false
                return manager.fileExists(atPath: articles + "/" + $0, isDirectory: &folder) && folder.boolValue
            }
        } catch {
            throw .unreadable(path: articles, reason: "\(error.localizedDescription)")
        }
        var examples: [Example] = []
        for topic in topics {
            let names = ((try? manager.contentsOfDirectory(atPath: articles + "/" + topic)) ?? [])
                .filter { $0.hasSuffix(".txt") }.sorted()
            for name in names {
                let articlePath = "\(articles)/\(topic)/\(name)", summaryPath = "\(summaries)/\(topic)/\(name)"
                let article = try read(articlePath)
                guard manager.fileExists(atPath: summaryPath) else { throw .layout(path: summaryPath, reason: "missing summary for \(articlePath)") }
                let reference = try read(summaryPath)
                examples.append(makeExample(name: "\(topic)/\(name)", topic: topic, article: article, reference: reference))
            }
        }
        guard !examples.isEmpty else { throw .layout(path: directory, reason: "no articles found under articles/<topic>/") }
        return SummaryCorpus(examples: examples)
    }

    static func read(_ path: String) throws(SummaryDataError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(path: path, reason: "not valid UTF-8") }
        return text
    }

    /// Labels by exact sentence match (each article sentence used at most once); a reference sentence the
    /// splitters cut differently is matched to an article sentence that contains it, or is contained in it.
    public static func makeExample(name: String, topic: String, article: String, reference: String) -> Example {
        let document = SummaryDocument(text: article, title: .firstLine)
        let referenceSentences = SentenceSplitter(splitsMissingSpaces: true).sentences(in: reference).map(\.text)
        var labels = [Bool](repeating: false, count: document.sentences.count)
        var positions: [String: [Int]] = [:]
        for (index, sentence) in document.sentences.enumerated() { positions[sentence, default: []].append(index) }
        var matched = 0
        for sentence in referenceSentences {
            if let index = positions[sentence]?.first(where: { !labels[$0] }) {
                labels[index] = true
                matched += 1
            } else if sentence.count >= 20,
                let index = document.sentences.indices.first(where: {
                    !labels[$0] && (document.sentences[$0].contains(sentence) || sentence.contains(document.sentences[$0]))
                })
            {
                labels[index] = true
                matched += 1
            }
        }
        return Example(
            name: name, topic: topic, document: document, reference: reference, labels: labels, matchedSentences: matched,
            referenceSentences: referenceSentences.count)
    }

    /// The documented deterministic split: within each topic, in file-name order, the document at position `i`
    /// goes to validation when `i % 10 == 9`, to the early-stopping (dev) part when `i % 10 == 4`, else to training.
    public func split() -> (training: [Example], dev: [Example], validation: [Example]) {
        var training: [Example] = [], dev: [Example] = [], validation: [Example] = []
        var position: [String: Int] = [:]
        for example in examples {
            let i = position[example.topic, default: 0]
            position[example.topic] = i + 1
            switch i % 10 {
            case 9: validation.append(example)
            case 4: dev.append(example)
            default: training.append(example)
            }
        }
        return (training, dev, validation)
    }
}

public enum SummaryDataError: Error, CustomStringConvertible, Equatable {
    case layout(path: String, reason: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .layout(let path, let reason), .unreadable(let path, let reason): "\(path): \(reason)"
        }
    }
}
