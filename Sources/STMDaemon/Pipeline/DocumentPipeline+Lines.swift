import Foundation
import Logging
import STMTasks

/// `kind = "lines"` streams: a file dropped there is a log file; each of its lines goes through the stream's Drain
/// templates and DeepLog detector (the journal monitor's, `[logs]` settings: the stream learns its first lines,
/// then flags unusual ones), and `<name>.stm.json` lists the unusual lines. Alerts go to the journal and
/// `<state>/anomalies/` as for journal streams.
///
/// The detector's state is committed before the output (not in the same transaction): a crash between the two
/// judges the file's lines once more after the restart.
extension DocumentPipeline {
    func processLines(
        _ item: WorkItem, contents: [UInt8], hash: String, hint: FileHint, monitor: LogStreamMonitor
    ) -> Outcome {
        let location = item.location
        let display = Self.display(item.path)
        let document = Annotation.DecodedDocument(contents: contents, name: location.name)
        let relativePath = InputName(bytes: location.relativePath).name
        var numbers: [Int] = []
        var entries: [JournalEntry] = []
        let time = UInt64(max(0, hint.modificationTime.timeIntervalSince1970) * 1e6)
        // "\r\n" is one Character in Swift: split on both line ends (and a lone "\r" at a line's end goes too).
        let rawLines = document.text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, raw) in rawLines.enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            numbers.append(index + 1)
            entries.append(
                JournalEntry(
                    cursor: "file:\(location.stream)/\(relativePath):\(index + 1):\(hash.prefix(16))",
                    realtimeMicroseconds: time, message: line, stream: "lines:\(location.stream)", priority: nil, fields: [:]))
        }
        guard let judged = monitor.process(source: "lines:\(location.stream)", entries: entries) else {
            _ = try? ledger.recordFailure(
                location, content: nil, error: "the stream's log detector state could not be stored", transient: true,
                nextAttempt: Date().addingTimeInterval(Self.seconds(configuration.retry.initialBackoff)))
            return .retryLater
        }
        var anomalies: [LinesReport.Anomaly] = []
        for (offset, line) in judged.enumerated() where line.anomalous {
            anomalies.append(
                LinesReport.Anomaly(
                    line: numbers[offset], text: entries[offset].message, templateId: line.templateId, template: line.template,
                    reason: line.reason, expected: line.expected.map { LinesReport.Expected(id: $0.id, template: $0.template) }))
        }
        let report = LinesReport(
            stream: location.stream, input: document.input, lines: judged.count,
            learningLines: judged.filter { $0.reason == "learning" }.count, anomalies: anomalies,
            daemon: Self.daemonSection(version: version, location: location))
        let content = ContentIdentity(sha256: hash, size: Int64(contents.count), modificationTime: hint.modificationTime)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = Array(try encoder.encode(report))
            try publish(json: json, location: location, kind: .annotation, content: content, modelVersions: [:], error: nil)
        } catch {
            log.warning("\(display): output not written: \(error)")
            _ = try? ledger.recordFailure(
                location, content: content, error: String(describing: error), transient: true,
                nextAttempt: Date().addingTimeInterval(Self.seconds(configuration.retry.initialBackoff)))
            return .retryLater
        }
        counters.published()
        log.log(
            log.documentLevel, "\(display): \(judged.count) lines, \(anomalies.count) unusual",
            metadata: [
                "stream": .string(location.stream), "file": .string(relativePath), "sha256": .string(hash),
                "lines": .string(String(judged.count)), "unusual": .string(String(anomalies.count)),
            ])
        return .published
    }
}
