public import Foundation
import GRDB
import STMMemory

/// Stream memory beside the ledger: one `memory_stream` row per stream (state `s`, latest event time, count,
/// detectors, reset epoch) and its window as `memory_window` rows. `commit` stores a document's `MemoryUpdate` in
/// the transaction of its ledger row; `stmd memory show/reset` read and reset it while the daemon runs (WAL).
extension Ledger {
    static let memorySchema = """
        CREATE TABLE memory_stream (
            stream TEXT PRIMARY KEY,
            epoch INTEGER NOT NULL,
            document_count INTEGER NOT NULL CHECK (document_count >= 0),
            latest_time REAL,
            state BLOB NOT NULL,
            detectors BLOB,
            updated_at REAL NOT NULL
        ) STRICT;
        CREATE TABLE memory_window (
            stream TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            time REAL NOT NULL,
            vector BLOB NOT NULL,
            labels TEXT NOT NULL,
            sentiment REAL,
            PRIMARY KEY (stream, sequence)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE memory_control (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        INSERT INTO memory_control (key, value) VALUES ('resets', 0);
        """

    /// Inside `commit`'s transaction. Skipped (not an error) when the stream was reset since the update was computed.
    static func store(_ update: MemoryUpdate, in db: Database, now: Double) throws {
        let detectors = MemoryCodec.data(sentiment: update.sentimentDetector, topic: update.topicDetector)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO memory_stream (stream, epoch, document_count, latest_time, state, detectors, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (stream) DO UPDATE SET
                    document_count = excluded.document_count, latest_time = excluded.latest_time,
                    state = excluded.state, detectors = excluded.detectors, updated_at = excluded.updated_at
                WHERE memory_stream.epoch = excluded.epoch
                """)
        try upsert.execute(
            arguments: [
                update.stream, update.epoch, update.state.documentCount, update.state.latestTime,
                MemoryCodec.data(update.state.vector), detectors, now,
            ])
        guard db.changesCount == 1 else { return }
        if let entry = update.entry {
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO memory_window (stream, sequence, id, name, time, vector, labels, sentiment, highlights)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            try insert.execute(
                arguments: [
                    update.stream, entry.sequence, entry.id, entry.name, entry.time, MemoryCodec.data(entry.vector),
                    try MemoryCodec.json(labels: entry.labels), entry.sentiment, try MemoryCodec.json(highlights: entry.highlights),
                ])
        }
        let prune = try db.cachedStatement(
            sql: "DELETE FROM memory_window WHERE stream = ? AND (sequence < ? OR time < ?)")
        try prune.execute(arguments: [update.stream, update.firstKeptSequence, update.oldestKeptTime])
    }

    /// Stores a memory change on its own (`stmd annotate --stream`, which has no ledger rows), in one transaction.
    public func storeMemory(_ update: MemoryUpdate, now: Date = Date()) throws {
        let time = now.timeIntervalSince1970
        try write { db in try Self.store(update, in: db, now: time) }
    }

    /// The stream's stored memory, nil when it has none.
    public func loadMemory(stream: String) throws -> StoredStreamMemory? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT epoch, document_count, latest_time, state, detectors, updated_at FROM memory_stream WHERE stream = ?",
                    arguments: [stream])
            else { return nil }
            let entries = try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, id, name, time, vector, labels, sentiment, highlights FROM memory_window
                    WHERE stream = ? ORDER BY sequence
                    """,
                arguments: [stream]
            ).map { entry in
                MemoryEntry(
                    id: entry["id"], sequence: entry["sequence"], name: entry["name"], time: entry["time"],
                    vector: MemoryCodec.vector(entry["vector"]), labels: MemoryCodec.labels(entry["labels"]),
                    sentiment: entry["sentiment"], highlights: MemoryCodec.highlights(entry["highlights"]))
            }
            return StoredStreamMemory(
                epoch: row["epoch"],
                state: StreamState(
                    vector: MemoryCodec.vector(row["state"]), latestTime: row["latest_time"],
                    documentCount: row["document_count"]),
                detectorValues: MemoryCodec.detectorValues(row["detectors"]), entries: entries, updatedAt: row["updated_at"])
        }
    }

    /// How many resets `stmd memory reset` has made: the daemon compares it before each document, so it notices
    /// a reset made by another process at once.
    public func memoryResetCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT value FROM memory_control WHERE key = 'resets'") ?? 0 }
    }

    /// The stream's reset epoch in the database (0 when it has no row yet).
    public func memoryEpoch(stream: String) throws -> Int {
        try storedMemoryEpoch(stream: stream) ?? 0
    }

    /// The stream's reset epoch, nil when it has no row (never stored, or forgotten by `prune`).
    public func storedMemoryEpoch(stream: String) throws -> Int? {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT epoch FROM memory_stream WHERE stream = ?", arguments: [stream])
        }
    }

    /// Empties a stream's memory: its window rows go, its state starts over, and its epoch grows so that updates
    /// computed before the reset (a running daemon's documents in flight) are not stored. One transaction.
    ///
    /// - Returns: the documents the stream had counted (0 when it had no memory).
    @discardableResult
    public func resetMemory(stream: String, now: Date = Date()) throws -> Int {
        let time = now.timeIntervalSince1970
        return try write { db in
            let previous =
                try Int.fetchOne(db, sql: "SELECT document_count FROM memory_stream WHERE stream = ?", arguments: [stream]) ?? 0
            try db.execute(
                sql: """
                    INSERT INTO memory_stream (stream, epoch, document_count, latest_time, state, detectors, updated_at)
                    VALUES (?, 1, 0, NULL, x'', NULL, ?)
                    ON CONFLICT (stream) DO UPDATE SET epoch = memory_stream.epoch + 1, document_count = 0,
                        latest_time = NULL, state = x'', detectors = NULL, updated_at = excluded.updated_at
                    """,
                arguments: [stream, time])
            try db.execute(sql: "DELETE FROM memory_window WHERE stream = ?", arguments: [stream])
            try db.execute(sql: "UPDATE memory_control SET value = value + 1 WHERE key = 'resets'")
            return previous
        }
    }

    /// Every stream with memory: name, documents counted, window rows, last change.
    public func memoryStreams() throws -> [(stream: String, documents: Int, window: Int, updatedAt: Date)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.stream, s.document_count, s.updated_at,
                        (SELECT COUNT(*) FROM memory_window AS w WHERE w.stream = s.stream) AS window
                    FROM memory_stream AS s ORDER BY s.stream
                    """
            ).map { row in
                (row["stream"], row["document_count"], row["window"], Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }
}
