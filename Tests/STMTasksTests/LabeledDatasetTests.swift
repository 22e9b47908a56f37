import Foundation
import STMTasks
import STMTesting
import Testing

struct LabeledDatasetTests {
    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func readsTabSeparatedWithTheLabelAfterTheLastTab() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path + "/news.tsv"
        try write("Stocks rose\tBusiness\nA\ttab inside\tWorld\n\nGoal!\tSports\r\nRain again\tWorld\n", to: path)
        let data = try LabeledDataset.load(path: path)
        #expect(data.examples.map(\.label) == ["Business", "World", "Sports", "World"])
        #expect(data.examples[1].text == "A\ttab inside")
        #expect(data.examples[2].source == path + ":4")
        #expect(data.labels == ["Business", "Sports", "World"])
        // Business and Sports have one example each: warned, not refused.
        #expect(data.warnings.count == 2)
        #expect(data.warnings.allSatisfy { $0.severity == .warning && $0.message.contains("single example") })
    }

    @Test func readsFastTextAndFirstTokenFormats() throws {
        let folder = try TemporaryDirectory()
        let fast = folder.path + "/train.txt"
        try write("__label__pos great film\n__label__neg __label__extra dull\n__label__pos fine\n__label__neg bad\n", to: fast)
        let fastData = try LabeledDataset.load(path: fast)
        #expect(fastData.examples.map(\.text) == ["great film", "dull", "fine", "bad"])
        #expect(fastData.labels == ["neg", "pos"])

        let sst = folder.path + "/stsa.binary.train"
        try write("1 a stirring , funny film\n0 apparently reassembled\n1 fun\n0 dull\n", to: sst)
        let sstData = try LabeledDataset.load(path: sst, format: .firstToken)
        #expect(sstData.examples.first == LabeledExample(text: "a stirring , funny film", label: "1", source: sst + ":1"))
        // Without --format a file with neither tabs nor __label__ is not guessed.
        #expect(throws: DatasetError.self) { try LabeledDataset.load(path: sst) }
    }

    @Test func readsFolderPerLabel() throws {
        let folder = try TemporaryDirectory()
        for (label, texts) in [("sport", ["Match report", "Cup final"]), ("tech", ["New chip", "Phone launch"])] {
            try FileManager.default.createDirectory(atPath: "\(folder.path)/data/\(label)", withIntermediateDirectories: true)
            for (index, text) in texts.enumerated() { try write(text + "\n", to: "\(folder.path)/data/\(label)/\(index).txt") }
        }
        let data = try LabeledDataset.load(path: folder.path + "/data")
        #expect(data.examples.count == 4)
        #expect(data.labels == ["sport", "tech"])
        #expect(data.examples[0].source.hasSuffix("/data/sport/0.txt"))
    }

    @Test func collectsEveryErrorWithFileAndLine() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path + "/bad.tsv"
        try write("good text\tA\nno tab here\ntext with empty label\t \n\tB\nmore\tA\n", to: path)
        do {
            _ = try LabeledDataset.load(path: path)
            Issue.record("malformed input was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("bad.tsv:2: error: malformed line"))
            #expect(message.contains("bad.tsv:3: error: empty label"))
            #expect(message.contains("bad.tsv:4: error: empty text"))
        }
    }

    @Test func emptyFilesMissingPathsAndInvalidUTF8() throws {
        let folder = try TemporaryDirectory()
        let empty = folder.path + "/empty.tsv"
        try write("", to: empty)
        #expect(throws: DatasetError.self) { try LabeledDataset.load(path: empty) }
        #expect(throws: DatasetError.self) { try LabeledDataset.load(path: folder.path + "/missing.tsv") }

        let latin1 = folder.path + "/latin1.tsv"
        var bytes = Array("caf".utf8) + [0xE9] + Array("\tA\nok\tA\n".utf8)
        bytes += []
        try Data(bytes).write(to: URL(fileURLWithPath: latin1))
        let data = try LabeledDataset.load(path: latin1)
        #expect(data.examples[0].text == "caf\u{FFFD}")
        #expect(data.warnings.contains { $0.location == latin1 + ":1" && $0.message.contains("UTF-8") })
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "../shared/data/topic/ag_news/train.tsv"),
                   "../shared/data is absent: the real AG News file is not checked"))
    func readsTheRealAGNewsFile() throws {
        let data = try LabeledDataset.load(path: "../shared/data/topic/ag_news/train.tsv")
        #expect(data.examples.count == 10001)
        #expect(data.labels == ["Business", "Sci/Tech", "Sports", "World"])
    }
}
