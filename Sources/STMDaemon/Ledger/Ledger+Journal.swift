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
            updated_at REAL NOT NULL
        ) STRICT;
        """

    /// One log stream's stored state.
    public struct LogStreamRecord: Sendable, Equatable {
        public var stream: String
        /// `TemplateMinerState` as JSON.
        public var templates: [UInt8]
        /// `LogAnomalyDetector.checkpoint()`.
        public var detector: [UInt8]
        public var lines: Int
        public var anomalies: Int

        public init(stream: String, templates: [UInt8], detector: [UInt8], lines: Int, anomalies: Int) {
            self.stream = stream
            self.templates = templates
            self.detector = detector
            self.lines = lines
            self.anomalies = anomalies
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
                    detector: [UInt8](row["detector"] as Data), lines: row["lines"], anomalies: row["anomalies"])
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

    /// The batch's streams and the source's new cursor, together or not at all.
    public func commitJournalBatch(source: String, cursor: String, streams: [LogStreamRecord]) throws {
        let now = Date().timeIntervalSince1970
        try write { db in
            for record in streams {
                try db.execute(
                    sql: """
                        INSERT INTO log_stream (stream, templates, detector, lines, anomalies, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (stream) DO UPDATE SET templates = excluded.templates, detector = excluded.detector,
                            lines = excluded.lines, anomalies = excluded.anomalies, updated_at = excluded.updated_at
                        """,
                    arguments: [record.stream, Data(record.templates), Data(record.detector), record.lines, record.anomalies, now])
            }
            try db.execute(
                sql: """
                    INSERT INTO journal_cursor (source, cursor, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
                    """,
                arguments: [source, cursor, now])
        }
    }
}
