import Foundation
import Logging
public import STMLogs

/// Judges followed journal entries: per stream (a unit, by default), Drain templates and a DeepLog detector that
/// learns the stream's first lines online and then flags lines whose template it did not expect. Each batch's
/// templates, detectors and the source's cursor are committed together (`Ledger.commitJournalBatch`); alerts go to
/// the journal (MESSAGE_ID `logAnomaly`, PRIORITY=warning, `STM_ANOMALY=1`, `STM_SOURCE_CURSOR`) and to
/// `<state>/anomalies/<stream>.jsonl`, at most `alerts_per_minute` per stream and the rest summed up.
public final class LogStreamMonitor: @unchecked Sendable {
    struct StreamState {
        var miner: TemplateMiner
        var detector: LogAnomalyDetector
        var lines: Int
        var anomalies: Int
        var startedMicroseconds: UInt64

        /// The row `Ledger` stores for this stream.
        func record(stream: String) throws -> Ledger.LogStreamRecord {
            Ledger.LogStreamRecord(
                stream: stream, templates: try Array(JSONEncoder().encode(miner.state)), detector: detector.checkpoint(),
                lines: lines, anomalies: anomalies, startedMicroseconds: startedMicroseconds)
        }
    }

    private let ledger: Ledger
    private let settings: DaemonConfiguration.LogMonitorConfiguration
    private let log: DaemonLog
    private let alertsDirectory: String
    private let lock = NSLock()
    private var streams: [String: StreamState] = [:]
    private var limiter: AlertLimiter
    private var counts = (lines: 0, anomalies: 0)

    /// The trained model new streams start from (`[logs] model`), or nil: they start untrained.
    private let startingModel: LogModelBundle?

    public init(
        ledger: Ledger, settings: DaemonConfiguration.LogMonitorConfiguration, log: DaemonLog, stateDirectory: String,
        startingModel: LogModelBundle? = nil
    ) {
        self.startingModel = startingModel
        self.ledger = ledger
        self.settings = settings
        self.log = log
        alertsDirectory = stateDirectory + "/anomalies"
        limiter = AlertLimiter(perMinute: settings.alertsPerMinute)
    }

    /// Lines judged and anomalies found since start.
    public var totals: (lines: Int, anomalies: Int) { lock.withLock { counts } }

    /// What the detector said about one line (for `kind = "lines"` outputs).
    public struct JudgedLine: Sendable {
        public var templateId: Int
        public var template: String
        public var anomalous: Bool
        /// `unknown_template`, `unexpected`, `expected` or `learning`.
        public var reason: String
        /// The templates the model expected instead, most likely first (anomalies only).
        public var expected: [(id: Int, template: String)]
    }

    /// One batch from `source`, in journal order: judge, commit, then alert. Returns the verdicts, or nil when
    /// the batch's state could not be stored (it is then judged again later). `report` turns the verdicts into an
    /// output stored in the same transaction (a lines stream's file report).
    @discardableResult
    public func process(
        source: String, entries: [JournalEntry], report: (([JudgedLine]) throws -> (key: String, json: [UInt8]))? = nil
    ) -> [JudgedLine]? {
        guard let last = entries.last else { return [] }
        lock.lock()
        defer { lock.unlock() }
        var touched: [String: StreamState] = [:]
        var alerts: [Alert] = []
        var judged: [JudgedLine] = []
        for entry in entries {
            var state: StreamState
            if let existing = touched[entry.stream] ?? streams[entry.stream] {
                state = existing
            } else {
                state = loadOrCreate(entry.stream)
            }
            if state.startedMicroseconds == 0 { state.startedMicroseconds = entry.realtimeMicroseconds }
            if let limit = settings.learningTime, state.detector.isLearning,
                Double(entry.realtimeMicroseconds &- state.startedMicroseconds) / 1e6 >= limit
            {
                state.detector.finishLearning()
                log.info("log stream \(entry.stream): learning period over after \(state.lines) lines (learning_time)")
            }
            let match = state.miner.add(entry.message)
            if match.change == .created {
                let text = state.miner.template(id: match.templateId)?.text ?? ""
                log.log(
                    .info, "stream \(entry.stream): new log template #\(match.templateId): \(text)",
                    metadata: ["stream": .string(entry.stream), "template_id": .string(String(match.templateId))])
            }
            let verdict = state.detector.observe(match.templateId)
            state.lines += 1
            var line = JudgedLine(
                templateId: verdict.templateId, template: state.miner.template(id: verdict.templateId)?.text ?? "(unknown)",
                anomalous: verdict.isAnomalous, reason: Self.reasonName(verdict.reason), expected: [])
            if verdict.isAnomalous {
                state.anomalies += 1
                let alert = Alert(entry: entry, verdict: verdict, miner: state.miner)
                line.expected = alert.predicted
                alerts.append(alert)
            }
            judged.append(line)
            touched[entry.stream] = state
        }
        do {
            let records = try touched.map { stream, state in try state.record(stream: stream) }
            let alertRecords = alerts.map {
                Ledger.LogAlertRecord(
                    cursor: $0.entry.cursor, stream: $0.entry.stream, templateId: $0.verdict.templateId,
                    unknownTemplate: $0.verdict.reason == .unknownTemplate, context: $0.verdict.context)
            }
            try ledger.commitJournalBatch(
                source: source, cursor: last.cursor, streams: records, alerts: alertRecords, report: try report?(judged))
        } catch {
            // Not committed: the entries are judged again after a restart; keep the in-memory state as it was.
            log.error("journal source \(source): the batch's state could not be stored (\(error)); it will be read again")
            return nil
        }
        for (stream, state) in touched { streams[stream] = state }
        counts.lines += entries.count
        counts.anomalies += alerts.count
        let now = Date().timeIntervalSince1970
        for alert in alerts {
            switch limiter.admit(stream: alert.entry.stream, at: now) {
            case .send(let suppressedBefore):
                if suppressedBefore > 0 { summarize(stream: alert.entry.stream, suppressed: suppressedBefore) }
                send(alert)
            case .suppress:
                continue
            }
        }
        return judged
    }

    static func reasonName(_ reason: LogVerdict.Reason) -> String {
        switch reason {
        case .expected: "expected"
        case .learning: "learning"
        case .unexpected: "unexpected"
        case .unknownTemplate: "unknown_template"
        }
    }

    /// Operator feedback (`stmd logs mark-normal`): each stream's detector retrains on the lines marked normal,
    /// and the new state is committed with the feedback marked as taken. Housekeeping calls this.
    public func applyFeedback() {
        guard let pending = try? ledger.pendingFeedback(), !pending.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        for alert in pending {
            var state = streams[alert.stream] ?? loadOrCreate(alert.stream)
            let verdict = LogVerdict(
                templateId: alert.templateId, reason: alert.unknownTemplate ? .unknownTemplate : .unexpected, rank: nil,
                probability: nil, predicted: [], context: alert.context)
            let learned = state.detector.markNormal(verdict)
            do {
                try ledger.commitFeedback(cursor: alert.cursor, stream: try state.record(stream: alert.stream))
            } catch {
                log.error("stream \(alert.stream): feedback on \(alert.cursor) could not be stored (\(error))")
                continue
            }
            streams[alert.stream] = state
            let template = state.miner.template(id: alert.templateId)?.text ?? "(unknown)"
            log.notice(
                "stream \(alert.stream): template #\(alert.templateId) \(template) marked normal by an operator; "
                    + (learned ? "the model now expects it in that context" : "retrained, but it is still not among the expected lines"))
        }
    }

    /// Summary alerts for minutes that ended with anomalies held back (housekeeping calls this).
    public func flushSummaries() {
        lock.lock()
        let due = limiter.due(at: Date().timeIntervalSince1970)
        lock.unlock()
        for (stream, suppressed) in due { summarize(stream: stream, suppressed: suppressed) }
    }

    private func loadOrCreate(_ stream: String) -> StreamState {
        if let record = try? ledger.logStream(stream) {
            do {
                let miner = try TemplateMiner(state: JSONDecoder().decode(TemplateMinerState.self, from: Data(record.templates)))
                let detector = try LogAnomalyDetector(checkpoint: record.detector)
                return StreamState(
                    miner: miner, detector: detector, lines: record.lines, anomalies: record.anomalies,
                    startedMicroseconds: record.startedMicroseconds)
            } catch {
                log.warning("log stream \(stream): its stored state cannot be read (\(error)); it starts learning again")
            }
        }
        if let startingModel, let start = try? MonitoredLogStream(bundle: startingModel, settings: settings.detector) {
            log.info(
                "log stream \(stream): starting from the trained model \(settings.model ?? "")"
                    + (settings.detector.learningLines > 0 ? ", learning from its first \(settings.detector.learningLines) lines" : ""))
            return StreamState(miner: start.miner, detector: start.detector, lines: 0, anomalies: 0, startedMicroseconds: 0)
        }
        log.info("log stream \(stream): learning its first \(settings.detector.learningLines) lines")
        return StreamState(
            miner: TemplateMiner(), detector: LogAnomalyDetector(settings: settings.detector), lines: 0, anomalies: 0,
            startedMicroseconds: 0)
    }

    struct Alert {
        var entry: JournalEntry
        var verdict: LogVerdict
        var template: String
        var predicted: [(id: Int, template: String)]

        init(entry: JournalEntry, verdict: LogVerdict, miner: TemplateMiner) {
            self.entry = entry
            self.verdict = verdict
            template = miner.template(id: verdict.templateId)?.text ?? "(unknown)"
            predicted = verdict.predicted.map { ($0, miner.template(id: $0)?.text ?? "(unknown)") }
        }
    }

    private func send(_ alert: Alert) {
        let reason = alert.verdict.reason == .unknownTemplate ? "a new kind of line" : "an unexpected line"
        let expected = alert.predicted.prefix(3).map { "#\($0.id) \($0.template)" }.joined(separator: "; ")
        log.event(
            .logAnomaly, .warning,
            "stream \(alert.entry.stream): \(reason) (template #\(alert.verdict.templateId) \(alert.template)"
                + (expected.isEmpty ? ")" : "; expected \(expected))") + ": \(alert.entry.message)",
            metadata: [
                "anomaly": "1", "stream": .string(alert.entry.stream), "template": .string(alert.template),
                "template_id": .string(String(alert.verdict.templateId)),
                "predicted": .string(alert.predicted.map { String($0.id) }.joined(separator: ",")),
                "source_cursor": .string(alert.entry.cursor),
            ])
        appendJSONLine(
            stream: alert.entry.stream,
            [
                "time": Double(alert.entry.realtimeMicroseconds) / 1e6, "stream": alert.entry.stream,
                "cursor": alert.entry.cursor, "message": alert.entry.message, "template_id": alert.verdict.templateId,
                "template": alert.template,
                "reason": Self.reasonName(alert.verdict.reason),
                "predicted": alert.predicted.map { ["id": $0.id, "template": $0.template] as [String: Any] },
            ])
    }

    private func summarize(stream: String, suppressed: Int) {
        log.event(
            .logAnomaly, .warning,
            "stream \(stream): \(suppressed) more unusual lines in the last minute (over alerts_per_minute = \(settings.alertsPerMinute))",
            metadata: ["anomaly": "1", "stream": .string(stream), "suppressed": .string(String(suppressed))])
        appendJSONLine(
            stream: stream, ["time": Date().timeIntervalSince1970, "stream": stream, "suppressed": suppressed])
    }

    /// `<state>/anomalies/<stream>.jsonl`, one object per line; `/` and leading dots in the stream name escaped.
    private func appendJSONLine(stream: String, _ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        let name = stream.replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "..", with: "%2E%2E")
        let path = alertsDirectory + "/" + name + ".jsonl"
        try? FileManager.default.createDirectory(atPath: alertsDirectory, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            log.warning("cannot append to \(path): \(String(cString: strerror(errno)))")
            return
        }
        defer { close(fd) }
        let line = Array(data) + [UInt8(ascii: "\n")]
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
