import STMTasks
import Testing

struct ClassificationMetricsTests {
    @Test func accuracyF1AndConfusionByHand() {
        // truth:      a a a b b c
        // prediction: a a b b c c
        let metrics = ClassificationMetrics(labels: ["a", "b", "c"], truths: [0, 0, 0, 1, 1, 2], predictions: [0, 0, 1, 1, 2, 2])
        #expect(metrics.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(metrics.accuracy == 4.0 / 6.0)
        // a: p 1, r 2/3 → F1 0.8; b: p 1/2, r 1/2 → 0.5; c: p 1/2, r 1 → 2/3.
        #expect(abs(metrics.f1(0) - 0.8) < 1e-12)
        #expect(abs(metrics.f1(1) - 0.5) < 1e-12)
        #expect(abs(metrics.f1(2) - 2.0 / 3.0) < 1e-12)
        #expect(abs(metrics.macroF1 - (0.8 + 0.5 + 2.0 / 3.0) / 3) < 1e-12)
        let report = metrics.report()
        #expect(report.contains("accuracy  66.7%"))
        #expect(report.contains("confusion"))
    }

    @Test func classesAbsentFromBothSidesDoNotCountInMacroF1() {
        let metrics = ClassificationMetrics(labels: ["a", "b", "c"], truths: [0, 1], predictions: [0, 1])
        #expect(metrics.macroF1 == 1)
    }
}
