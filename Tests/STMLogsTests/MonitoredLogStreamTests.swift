import STMLogs
import Testing

/// A journald-like stream learned from nothing: a cron job's four messages repeat with varying pids, times and
/// users; after the learning period, the usual sequence passes and other lines are flagged.
struct MonitoredLogStreamTests {
    static func cycleLine(_ i: Int) -> String {
        switch i % 4 {
        case 0: "pam_unix(cron:session): session opened for user u\(i % 7) by (uid=0)"
        case 1: "(u\(i % 7)) CMD (run-parts /etc/cron.hourly \(i))"
        case 2: "job \(1000 + i) finished in \(i % 13) ms"
        default: "pam_unix(cron:session): session closed for user u\(i % 7)"
        }
    }

    static func learned() -> MonitoredLogStream {
        var monitor = MonitoredLogStream(
            settings: LogDetectorSettings(
                candidates: 1, learningLines: 800, updateInterval: 200, updateEpochs: 4, learningRate: 1e-2),
            classCapacity: 16)
        for i in 0..<800 {
            let result = monitor.process(cycleLine(i))
            #expect(result.verdict.reason == .learning)
        }
        return monitor
    }

    @Test func learnsAStreamThenFlagsNewAndOutOfOrderLines() {
        var monitor = Self.learned()
        #expect(monitor.miner.templateCount == 4)
        let normal = (800..<900).map { monitor.process(Self.cycleLine($0)) }
        #expect(normal.filter(\.verdict.isAnomalous).isEmpty)
        // 900 % 4 == 0: "session opened" is due; a new message instead.
        let new = monitor.process("kernel: Out of memory: Killed process 4242 (postgres)")
        #expect(new.templateChange == .created)
        #expect(new.verdict.reason == .unknownTemplate)
        #expect(
            new.verdict.predicted.map(monitor.templateText) == [
                "pam_unix(cron:session): session opened for user <*> by (uid=<*>)"
            ])
        monitor.restartSequence()
        _ = monitor.process(Self.cycleLine(0))
        let outOfOrder = monitor.process(Self.cycleLine(2))  // the command line was skipped
        #expect(outOfOrder.verdict.reason == .unexpected)
        #expect(outOfOrder.templateChange == .none)
    }

    @Test func aCheckpointedMonitorContinuesExactly() throws {
        var original = Self.learned()
        for i in 800..<843 { _ = original.process(Self.cycleLine(i)) }
        let (templates, detector) = original.checkpoint()
        var restored = try MonitoredLogStream(checkpoint: templates, detector: detector)
        let lines =
            (843..<900).map(Self.cycleLine) + ["a new line 1", "a new line 2"] + (900..<920).map(Self.cycleLine)
        for line in lines {
            let a = original.process(line)
            let b = restored.process(line)
            #expect(a == b, "\(line)")
        }
    }

    @Test func finishingTheLearningPeriodEarlyStartsJudging() {
        var monitor = MonitoredLogStream(settings: LogDetectorSettings(learningLines: 10_000), classCapacity: 16)
        for i in 0..<40 { _ = monitor.process(Self.cycleLine(i)) }
        #expect(monitor.detector.isLearning)
        monitor.finishLearning()
        #expect(!monitor.detector.isLearning)
        #expect(monitor.process(Self.cycleLine(40)).verdict.reason != .learning)
    }
}
