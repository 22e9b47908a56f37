public import Foundation
import GRDB

extension Ledger {
    /// Step 2 of the protocol: stores each output as a `committed` row with its pending output (the JSON and the
    /// temporary file's path, in `pending_output` until it is published), all in one transaction.
    ///
    /// Either every row is stored or, when one is refused (`LedgerError.invalidRecord`) or SQLite fails,
    /// none is. A location that already has a row reuses it (its `generation` grows); `attempts` counts on
    /// for the same content and restarts at 1 for new content.
    ///
    /// - Returns: one token per output, in order, for `markPublished`.
    @discardableResult
    public func commit(_ batch: [CommittedOutput], now: Date = Date()) throws -> [CommitToken] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let versions = try batch.map { String(decoding: try encoder.encode($0.modelVersions), as: UTF8.self) }
        let time = now.timeIntervalSince1970
        return try write { db in
            // One prepared statement for the whole batch.
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO document (root, stream, relative_path, sha256, size, mtime, status, output_kind,
                        output_path, model_versions, attempts, last_error, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'committed', ?, ?, ?, 1, ?, NULL, ?, ?)
                    ON CONFLICT (root, stream, relative_path) DO UPDATE SET
                        attempts = CASE WHEN document.sha256 IS excluded.sha256 THEN document.attempts + 1 ELSE 1 END,
                        sha256 = excluded.sha256, size = excluded.size, mtime = excluded.mtime,
                        status = 'committed', output_kind = excluded.output_kind,
                        output_path = excluded.output_path, model_versions = excluded.model_versions,
                        last_error = excluded.last_error, next_attempt_at = NULL,
                        updated_at = excluded.updated_at, generation = document.generation + 1
                    RETURNING id, generation
                    """)
            let pending = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO pending_output (document_id, temporary_path, output_json) VALUES (?, ?, ?)")
            return try zip(batch, versions).map { output, versions in
                let prepared = output.prepared
                let row = try Row.fetchOne(
                    statement,
                    arguments: [
                        prepared.location.root, prepared.location.stream, Data(prepared.location.relativePath),
                        output.content.sha256, output.content.size,
                        output.content.modificationTime?.timeIntervalSince1970,
                        prepared.kind.rawValue, Data(prepared.outputPath), versions, output.error, time, time,
                    ])
                guard let row else { throw DatabaseError(message: "INSERT … RETURNING returned no row") }
                let id: Int64 = row["id"]
                try pending.execute(arguments: [id, Data(prepared.temporaryPath), Data(prepared.json)])
                if let memory = output.memory { try Self.store(memory, in: db, now: time) }
                return CommitToken(id: row["id"], generation: row["generation"])
            }
        }
    }

    /// Step 4 of the protocol: the outputs are renamed and their folders fsynced, so the rows become `done`
    /// (`failed` for an error output) and their pending outputs go. One transaction.
    ///
    /// A token whose row has been committed again since (a newer version of the document) matches nothing.
    ///
    /// - Returns: how many rows changed.
    @discardableResult
    public func markPublished(_ tokens: [CommitToken], now: Date = Date()) throws -> Int {
        let time = now.timeIntervalSince1970
        return try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE document SET status = CASE output_kind WHEN 'error' THEN 'failed' ELSE 'done' END,
                        last_error = CASE output_kind WHEN 'error' THEN last_error ELSE NULL END,
                        next_attempt_at = NULL, processed_at = ?, updated_at = ?, generation = generation + 1
                    WHERE id = ? AND generation = ? AND status = 'committed'
                    """)
            let release = try db.cachedStatement(sql: "DELETE FROM pending_output WHERE document_id = ?")
            var changed = 0
            for token in tokens {
                try statement.execute(arguments: [time, time, token.id, token.generation])
                guard db.changesCount == 1 else { continue }
                changed += 1
                try release.execute(arguments: [token.id])
            }
            return changed
        }
    }

    /// Notes on a `committed` row why its output is not published yet (its temporary file could not be fsynced or
    /// renamed): the status and generation stay, so the row is still published from its stored JSON later, and
    /// `stmd status` shows the error until then (publication clears it).
    public func noteUnpublished(_ token: CommitToken, error: String, now: Date = Date()) throws {
        let time = now.timeIntervalSince1970
        _ = try write { db in
            try db.execute(
                sql: "UPDATE document SET last_error = ?, updated_at = ? WHERE id = ? AND generation = ? AND status = 'committed'",
                arguments: [error, time, token.id, token.generation])
        }
    }

    /// Records that processing the document at `location` failed without publishing an output.
    ///
    /// `transient` failures (a full disk, a permission that may be granted) become `retrying` with the next
    /// attempt at `nextAttempt` (now when nil); others become `failed` until `requeue`. `content` is nil when
    /// the document could not be read. A permanent failure that gets an error output goes through
    /// `commit` with an `.error` output instead, so that output is crash-safe like any other.
    @discardableResult
    public func recordFailure(
        _ location: DocumentLocation, content: ContentIdentity?, error: String, transient: Bool,
        nextAttempt: Date? = nil, now: Date = Date()
    ) throws -> LedgerRecord {
        let time = now.timeIntervalSince1970
        let next = transient ? (nextAttempt ?? now).timeIntervalSince1970 : nil
        return try write { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    INSERT INTO document (root, stream, relative_path, sha256, size, mtime, status, attempts,
                        last_error, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                    ON CONFLICT (root, stream, relative_path) DO UPDATE SET
                        attempts = CASE WHEN document.sha256 IS excluded.sha256 THEN document.attempts + 1 ELSE 1 END,
                        sha256 = excluded.sha256, size = excluded.size, mtime = excluded.mtime,
                        status = excluded.status, last_error = excluded.last_error,
                        next_attempt_at = excluded.next_attempt_at,
                        updated_at = excluded.updated_at, generation = document.generation + 1
                    RETURNING \(Self.documentRecordColumns)
                    """,
                arguments: [
                    location.root, location.stream, Data(location.relativePath), content?.sha256, content?.size,
                    content?.modificationTime?.timeIntervalSince1970,
                    transient ? LedgerRecord.Status.retrying.rawValue : LedgerRecord.Status.failed.rawValue,
                    error, next, time, time,
                ])
            guard let row else { throw DatabaseError(message: "INSERT … RETURNING returned no row") }
            let record = try Self.record(from: row)
            try db.execute(sql: "DELETE FROM pending_output WHERE document_id = ?", arguments: [record.id])
            return record
        }
    }

    /// Makes `failed` and `retrying` rows due at `now` with their attempts reset (`stmd retry`). Other rows
    /// are left alone.
    ///
    /// - Returns: how many rows were requeued.
    @discardableResult
    public func requeue(_ ids: [Int64], now: Date = Date()) throws -> Int {
        let time = now.timeIntervalSince1970
        return try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE document SET status = 'retrying', next_attempt_at = ?, attempts = 0, updated_at = ?,
                        generation = generation + 1
                    WHERE id = ? AND status IN ('failed', 'retrying')
                    """)
            var changed = 0
            for id in ids {
                try statement.execute(arguments: [time, time, id])
                changed += db.changesCount
            }
            return changed
        }
    }

    /// Recovery's step 4: like `markPublished`, also recording where the output now is (the configured
    /// destination may have changed since the commit).
    func markRecovered(_ token: CommitToken, outputPath: [UInt8], now: Date) throws -> Bool {
        let time = now.timeIntervalSince1970
        return try write { db in
            try db.execute(
                sql: """
                    UPDATE document SET status = CASE output_kind WHEN 'error' THEN 'failed' ELSE 'done' END,
                        last_error = CASE output_kind WHEN 'error' THEN last_error ELSE NULL END,
                        output_path = ?, next_attempt_at = NULL, processed_at = ?, updated_at = ?,
                        generation = generation + 1
                    WHERE id = ? AND generation = ? AND status = 'committed'
                    """,
                arguments: [Data(outputPath), time, time, token.id, token.generation])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM pending_output WHERE document_id = ?", arguments: [token.id])
            return true
        }
    }

    /// Recovery could not publish a committed output because its folder is gone: the row becomes `failed`.
    func abandon(_ token: CommitToken, reason: String, now: Date) throws {
        let time = now.timeIntervalSince1970
        try write { db in
            try db.execute(
                sql: """
                    UPDATE document SET status = 'failed', last_error = ?, updated_at = ?, generation = generation + 1
                    WHERE id = ? AND generation = ? AND status = 'committed'
                    """,
                arguments: [reason, time, token.id, token.generation])
            if db.changesCount == 1 {
                try db.execute(sql: "DELETE FROM pending_output WHERE document_id = ?", arguments: [token.id])
            }
        }
    }
}
