import Foundation
import Logging
import STMTasks
import Testing

@testable import STMDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The pure parts of the systemd integration: journal field names, the per-document entry, the status line's
/// rate, what a reload cannot change, and the watchdog's environment.
@Suite(.serialized)
struct SystemdSupportTests {
    @Test func metadataKeysBecomeJournalFieldNames() {
        #expect(JournalFields.fieldName("stream") == "STM_STREAM")
        #expect(JournalFields.fieldName("topic_score") == "STM_TOPIC_SCORE")
        #expect(JournalFields.fieldName("STM_SOURCE_CURSOR") == "STM_SOURCE_CURSOR")
        #expect(JournalFields.fieldName("MESSAGE_ID") == "MESSAGE_ID")
        // Trusted fields start with "_": never forged from metadata.
        #expect(JournalFields.fieldName("_PID") == "STM_PID")
        #expect(JournalFields.fieldName("sentiment-en.score") == "STM_SENTIMENT_EN_SCORE")
        #expect(JournalFields.fieldName(String(repeating: "x", count: 100)).count == 64)
    }

    @Test func eventsCarryPriorityCodeLocationAndMetadata() {
        let event = LogEvent(
            level: .warning, message: "line one\nline two", metadata: ["stream": "news", "count": .stringConvertible(3)],
            source: "stmd", file: "STMDaemon/Daemon.swift", function: "run()", line: 42)
        let fields = Dictionary(uniqueKeysWithValues: JournalFields.fields(for: event, metadata: event.metadata ?? [:]).map { ($0.name, $0.value) })
        #expect(fields["MESSAGE"] == "line one\nline two")
        #expect(fields["PRIORITY"] == "4")
        #expect(fields["SYSLOG_IDENTIFIER"] == "stmd")
        #expect(fields["CODE_FILE"] == "STMDaemon/Daemon.swift")
        #expect(fields["CODE_LINE"] == "42")
        #expect(fields["CODE_FUNC"] == "run()")
        #expect(fields["STM_STREAM"] == "news")
        #expect(fields["STM_COUNT"] == "3")
        #expect(JournalFields.priority(.critical) == 2 && JournalFields.priority(.debug) == 7 && JournalFields.priority(.info) == 6)
    }

    @Test func aDocumentEntryNamesEveryTaskLabelAndScore() {
        let input = Annotation.DecodedDocument(contents: Array("Stocks rose.".utf8), name: Array("a.txt".utf8)).input
        let annotation = Annotation(
            stream: "news", input: input,
            tasks: [
                "topic": .classification(.init(model: "topic-news", modelVersion: "1", labels: ["Business", "Sports"], probabilities: [0.9375, 0.0625])),
                "sentiment": .classification(.init(model: "sentiment-en", modelVersion: "1", labels: ["negative", "positive"], probabilities: [0.2, 0.8])),
            ],
            timing: .init(totalMilliseconds: 1))
        let entry = DocumentLogEntry(annotation: annotation, stream: "news", relativePath: "sub/a.txt", display: "/in/news/sub/a.txt")
        #expect(entry.message == "/in/news/sub/a.txt: sentiment positive (0.800), topic Business (0.938)")
        #expect(entry.metadata["stream"] == "news")
        #expect(entry.metadata["file"] == "sub/a.txt")
        #expect(entry.metadata["sha256"] == .string(input.sha256))
        #expect(entry.metadata["topic"] == "Business")
        #expect(entry.metadata["topic_score"] == "0.938")
        #expect(entry.metadata["sentiment_score"] == "0.800")
        #expect(DocumentLogEntry.threeDecimals(1) == "1.000" && DocumentLogEntry.threeDecimals(0.0004) == "0.000")
    }

    @Test func rateIsDocumentsPerSecondOverTheWindow() {
        let rate = DocumentRate(window: 5)
        #expect(rate.perSecond == 0)
        for second in 0...10 { rate.record(finished: second * 40, at: Double(second)) }
        #expect(rate.perSecond == 40)
        #expect(rate.perSecondText == "40")
        let slow = DocumentRate(window: 5)
        slow.record(finished: 0, at: 0)
        slow.record(finished: 1, at: 4)
        #expect(slow.perSecondText == "0.3")
    }

    @Test func reloadNamesTheSettingsThatNeedARestart() {
        let old = DaemonConfiguration()
        var new = old
        new.tasks = ["topic": "other"]
        new.retry.maxAttempts += 1
        #expect(Daemon.restartOnlyChanges(from: old, to: new).isEmpty)
        new.workers += 1
        new.ignore = ["*.bak"]
        #expect(Daemon.restartOnlyChanges(from: old, to: new) == ["workers", "ignore"])
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsecForThisProcess() {
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }
        unsetenv("WATCHDOG_USEC")
        #expect(SystemdNotifier.watchdogInterval() == nil)
        setenv("WATCHDOG_USEC", "3000000", 1)
        #expect(SystemdNotifier.watchdogInterval() == .milliseconds(1500))
        setenv("WATCHDOG_PID", String(getpid()), 1)
        #expect(SystemdNotifier.watchdogInterval() == .milliseconds(1500))
        // Meant for another process (a parent that exec'd us without clearing it).
        setenv("WATCHDOG_PID", "1", 1)
        #expect(SystemdNotifier.watchdogInterval() == nil)
        unsetenv("WATCHDOG_PID")
        setenv("WATCHDOG_USEC", "garbage", 1)
        #expect(SystemdNotifier.watchdogInterval() == nil)
    }

    @Test func notifyValuesStayOnOneLine() {
        #expect(SystemdNotifier.singleLine("a\nb") == "a b")
        #expect(SystemdNotifier.singleLine("plain") == "plain")
    }

    /// Every MESSAGE_ID the daemon logs has a catalog entry, and the catalog has no entry for an unknown ID.
    @Test func theCatalogExplainsEveryMessageID() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let catalog = try String(contentsOf: repository.appendingPathComponent("systemd/stmd.catalog"), encoding: .utf8)
        let ids = Set(catalog.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)) })
        #expect(ids == Set(MessageID.allCases.map(\.rawValue)))
        for id in MessageID.allCases {
            #expect(id.rawValue.count == 32 && id.rawValue.allSatisfy(\.isHexDigit), "\(id)")
        }
    }
}
