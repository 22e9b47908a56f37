import Glibc
import Foundation
import Logging
import STMTasks

/// `kind = "lines"` streams: a file dropped there is a log file; each of its lines goes through the stream's Drain
/// templates and DeepLog detector (the journal monitor's, `[logs]` settings: the stream learns its first lines,
/// then flags unusual ones), and `<name>.stm.json` lists the unusual lines. Alerts go to the journal and
/// `<state>/anomalies/` as for journal streams.
///
/// Judging changes the detector, so a file must be judged once: the output its verdicts make is stored in the
/// transaction that commits the detector's state (`lines_report`), and a retry after a crash between that commit
/// and the output's publication publishes the stored output instead of judging the lines again.
extension DocumentPipeline {
    func processLines(
        _ item: WorkItem, contents: [UInt8], hash: String, hint: FileHint, monitor: LogStreamMonitor
    ) -> Outcome {
        let location = item.location
        let display = Self.display(item.path)
        let document = Annotation.DecodedDocument(contents: contents, name: location.name)
        let relativePath = InputName(bytes: location.relativePath).name
        let content = ContentIdentity(sha256: hash, size: Int64(contents.count), modificationTime: hint.modificationTime)
        // The file's place and content, hashed: a key of text (SQLite's TEXT stops at a NUL when bound as a C string,
        // and paths may hold any other byte).
        let reportKey = SHA256.hex(
            of: SHA256.hash(Array(location.root.utf8) + [0] + Array(location.stream.utf8) + [0] + location.relativePath + [0] + Array(hash.utf8)))
        let json: [UInt8]
        let summary: (lines: Int, unusual: Int)
        if let stored = try? ledger.linesReport(key: reportKey),
            let report = try? JSONSerialization.jsonObject(with: Data(stored)) as? [String: Any]
        {
            // Judged before a crash, not yet published: the same output, and the detector is not fed twice.
            json = stored
            summary = (report["lines"] as? Int ?? 0, (report["anomalies"] as? [Any])?.count ?? 0)
        } else {
            guard let judged = judge(document, location: location, relativePath: relativePath, hash: hash, hint: hint, monitor: monitor, key: reportKey) else {
                return retryLater(location, content: nil, error: "the stream's log detector state could not be stored")
            }
            (json, summary) = judged
            #if DEBUG
                if PipelineFaultHooks.matches(location.name, dyingAfterJudging) { _exit(137) }
            #endif
        }
        do {
            try publish(json: json, location: location, kind: .annotation, content: content, modelVersions: [:], error: nil)
        } catch {
            log.warning("\(display): output not written: \(error)")
            return retryLater(location, content: content, error: String(describing: error))
        }
        try? ledger.removeLinesReport(key: reportKey)
        counters.published()
        log.log(
            log.documentLevel, "\(display): \(summary.lines) lines, \(summary.unusual) unusual",
            metadata: [
                "stream": .string(location.stream), "file": .string(relativePath), "sha256": .string(hash),
                "lines": .string(String(summary.lines)), "unusual": .string(String(summary.unusual)),
            ])
        return .published
    }

    /// Feeds the file's non-blank lines to the stream's detector and returns the output JSON, committed (under `key`)
    /// with the detector's new state; nil when that commit failed.
    private func judge(
        _ document: Annotation.DecodedDocument, location: DocumentLocation, relativePath: String, hash: String,
        hint: FileHint, monitor: LogStreamMonitor, key: String
    ) -> (json: [UInt8], summary: (lines: Int, unusual: Int))? {
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
        let makeReport = { (judged: [LogStreamMonitor.JudgedLine]) throws -> [UInt8] in
            var anomalies: [LinesReport.Anomaly] = []
            for (offset, line) in judged.enumerated() where line.anomalous {
                anomalies.append(
                    LinesReport.Anomaly(
                        line: numbers[offset], text: entries[offset].message, templateId: line.templateId,
                        template: line.template, reason: line.reason,
                        expected: line.expected.map { LinesReport.Expected(id: $0.id, template: $0.template) }))
            }
            let report = LinesReport(
                stream: location.stream, input: document.input, lines: judged.count,
                learningLines: judged.filter { $0.reason == "learning" }.count, anomalies: anomalies,
                daemon: Self.daemonSection(version: self.version, location: location))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try encoder.encode(report))
        }
        var json: [UInt8]?
        guard
            let judged = monitor.process(
                source: "lines:\(location.stream)", entries: entries,
                report: { judged in
                    json = try makeReport(judged)
                    return (key, json!)
                })
        else { return nil }
        // An empty file changes no state and commits nothing: its report is made here.
        guard let output = try? json ?? makeReport(judged) else { return nil }
        return (output, (judged.count, judged.filter { $0.anomalous }.count))
    }
}
