import Foundation
import STMTasks
import Testing

/// A lone document's tasks shared with a helper thread give the annotation the caller alone gives, bit for bit.
struct TaskHelperThreadTests {
    static let models = ShippedContextHeadTests.models

    @Test func tasksSharedWithTheHelperGiveTheSameAnnotation() throws {
        let names = ["topic": "topic-news", "sentiment": "sentiment-en", "question": "question-trec"]
        let loaded = try names.sorted { $0.key < $1.key }.map { task, model in
            (name: task, model: TaskModel.classifier(try TextClassifier(directory: Self.models + "/" + model)))
        }
        let annotator = DocumentAnnotator(models: loaded)
        let helper = TaskHelperThread()
        defer { helper.stop() }
        let documents = [
            "The striker scored twice as the home team won the league title on Sunday.",
            "Shares fell sharply after the bank warned that profits would miss forecasts. What went wrong?",
            "A wonderful, moving film: the best I have seen this year.",
            "",
        ]
        for text in documents + documents {
            let alone = annotator.annotate(contents: Array(text.utf8), name: Array("a.txt".utf8), stream: "s", vectorTask: "topic")
            let shared = annotator.annotate(
                contents: Array(text.utf8), name: Array("a.txt".utf8), stream: "s", vectorTask: "topic", helper: helper)
            var (first, second) = (alone.annotation, shared.annotation)
            #expect(Set(second.timing.taskMilliseconds.keys) == Set(names.keys))
            first.timing = .init(totalMilliseconds: 0)
            second.timing = .init(totalMilliseconds: 0)
            #expect(try first.encoded() == second.encoded(), "\(text)")
            #expect(alone.documentVector == shared.documentVector)
            #expect(shared.documentVector?.isEmpty == false)
        }
    }
}
