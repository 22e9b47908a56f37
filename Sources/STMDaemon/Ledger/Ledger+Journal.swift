import Foundation
import GRDB

/// Journal monitoring's durable state, beside the ledger: each source's cursor and each log stream's templates and
/// detector, written in one transaction per batch of entries, so after a crash the cursor and what was learnt
/// from the entries before it always agree — no entry is judged twice, none is skipped.
extension Ledger {
    static let journalSchema = """
        CREATE TABLE journal_cursor (
            source TEXT PRIMARY KEY,
            cursor TEXT NOT NULL,
            updated_at REAL NOT NULL
        ) STRICT;
        CREATE TABLE log_stream (
            stream TEXT PRIMARY KEY,
            templates BLOB NOT NULL,
            detector BLOB NOT NULL,
            lines INTEGER NOT NULL,
            anomalies INTEGER NOT NULL,
            started_usec INTEGER NOT NULL,
            updated_at REAL NOT NULL
        ) STRICT;
        CREATE TABLE log_alert (
            cursor TEXT PRIMARY KEY,
            stream TEXT NOT NULL,
            template_id INTEGER NOT NULL,
            unknown INTEGER NOT NULL,
            context TEXT NOT NULL,
            created_at REAL NOT NULL,
            marked_normal_at REAL,
            feedback_done_at REAL
        ) STRICT;
        CREATE INDEX log_alert_pending ON log_alert (marked_normal_at, feedback_done_at);
        """

    /// An alert as `stmd logs mark-normal` and the detector's retraining need it.
    public struct LogAlertRecord: Sendable, Equatable {
        public var cursor: String
        public var stream: String
        public var templateId: Int
        /// The template was outside the model's vocabulary (else: known but not expected).
        public var unknownTemplate: Bool
        /// The template ids before the line, oldest first.
        public var context: [Int]

        public init(cursor: String, stream: String, templateId: Int, unknownTemplate: Bool, context: [Int]) {
            self.cursor = cursor
            self.stream = stream
            self.templateId = templateId
            self.unknownTemplate = unknownTemplate
            self.context = context
        }
    }

    /// `stmd logs mark-normal CURSOR`: records the operator's word; the running daemon (or the next start)
    /// retrains the stream's detector on it. Returns the alert, or nil when no alert has that cursor.
    public func markNormal(cursor: String) throws -> LogAlertRecord? {
        let now = Date().timeIntervalSince1970
        return try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM log_alert WHERE cursor = ?", arguments: [cursor]) else {
                return nil
            }
            try db.execute(
                sql: "UPDATE log_alert SET marked_normal_at = ?, feedback_done_at = NULL WHERE cursor = ?", arguments: [now, cursor])
            return Self.alertRecord(row)
        }
    }

    /// Alerts marked normal whose feedback the detector has not taken yet.
    public func pendingFeedback() throws -> [LogAlertRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM log_alert WHERE marked_normal_at IS NOT NULL AND feedback_done_at IS NULL ORDER BY marked_normal_at"
            ).map(Self.alertRecord)
        }
    }

    static func alertRecord(_ row: Row) -> LogAlertRecord {
        let context = (row["context"] as String).split(separator: ",").compactMap { Int($0) }
        return LogAlertRecord(
            cursor: row["cursor"], stream: row["stream"], templateId: row["template_id"], unknownTemplate: row["unknown"] != 0,
            context: context)
    }

    /// The stream's state after retraining on `cursor`'s line, and the feedback marked as taken, together.
    public func commitFeedback(cursor: String, stream: LogStreamRecord) throws {
        let now = Date().timeIntervalSince1970
        try write { db in
            try Self.upsert(stream, at: now, in: db)
            try db.execute(sql: "UPDATE log_alert SET feedback_done_at = ? WHERE cursor = ?", arguments: [now, cursor])
        }
    }

    private static func upsert(_ record: LogStreamRecord, at now: Double, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO log_stream (stream, templates, detector, lines, anomalies, started_usec, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (stream) DO UPDATE SET templates = excluded.templates, detector = excluded.detector,
                    lines = excluded.lines, anomalies = excluded.anomalies, updated_at = excluded.updated_at
                """,
            arguments: [
                record.stream, Data(record.templates), Data(record.detector), record.lines, record.anomalies,
                Int64(clamping: record.startedMicroseconds), now,
            ])
    }

    /// One log stream's stored state.
    public struct LogStreamRecord: Sendable, Equatable {
        public var stream: String
        /// `TemplateMinerState` as JSON.
        public var templates: [UInt8]
        /// `LogAnomalyDetector.checkpoint()`.
        public var detector: [UInt8]
        public var lines: Int
        public var anomalies: Int
        /// Journal time of the stream's first entry (µs since the epoch): the start of its learning period.
        public var startedMicroseconds: UInt64

        public init(
            stream: String, templates: [UInt8], detector: [UInt8], lines: Int, anomalies: Int, startedMicroseconds: UInt64
        ) {
            self.stream = stream
            self.templates = templates
            self.detector = detector
            self.lines = lines
            self.anomalies = anomalies
            self.startedMicroseconds = startedMicroseconds
        }
    }

    /// Every source's checkpoint.
    public func journalCursors() throws -> [String: String] {
        try read { db in
            var cursors: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, cursor FROM journal_cursor") {
                cursors[row["source"]] = row["cursor"]
            }
            return cursors
        }
    }

    public func logStream(_ stream: String) throws -> LogStreamRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM log_stream WHERE stream = ?", arguments: [stream]).map { row in
                LogStreamRecord(
                    stream: row["stream"], templates: [UInt8](row["templates"] as Data),
                    detector: [UInt8](row["detector"] as Data), lines: row["lines"], anomalies: row["anomalies"],
                    startedMicroseconds: UInt64(row["started_usec"] as Int64))
            }
        }
    }

    public func logStreams() throws -> [(stream: String, lines: Int, anomalies: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT stream, lines, anomalies FROM log_stream ORDER BY stream").map {
                (stream: $0["stream"], lines: $0["lines"], anomalies: $0["anomalies"])
            }
        }
    }

    /// The batch's streams and the source's new cursor — and, for a log file of a lines stream, the output its
    /// verdicts make (`report`, under its key) — together or not at all.
    public func commitJournalBatch(
        source: String, cursor: String, streams: [LogStreamRecord], alerts: [LogAlertRecord] = [],
        report: (key: String, json: [UInt8])? = nil
    ) throws {
        let now = Date().timeIntervalSince1970
        try write { db in
            if let report {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO lines_report (key, json, created_at) VALUES (?, ?, ?)",
                    arguments: [report.key, Data(report.json), now])
            }
            for record in streams { try Self.upsert(record, at: now, in: db) }
            for alert in alerts {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO log_alert (cursor, stream, template_id, unknown, context, created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        alert.cursor, alert.stream, alert.templateId, alert.unknownTemplate ? 1 : 0,
                        alert.context.map(String.init).joined(separator: ","), now,
                    ])
            }
            try db.execute(
                sql: """
                    INSERT INTO journal_cursor (source, cursor, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
                    """,
                arguments: [source, cursor, now])
        }
    }

    /// The stored output of a judged log file not yet published, if any.
    public func linesReport(key: String) throws -> [UInt8]? {
        try read { db in
            try Data.fetchOne(db, sql: "SELECT json FROM lines_report WHERE key = ?", arguments: [key]).map { [UInt8]($0) }
        }
    }

    /// Forgets a log file's stored output once it is published.
    public func removeLinesReport(key: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM lines_report WHERE key = ?", arguments: [key]) }
    }
}
