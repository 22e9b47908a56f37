public import Foundation
import GRDB
import Glibc

/// The daemon's durable record of every document: SQLite through GRDB in WAL mode at
/// `<state dir>/ledger.sqlite`, so `stmd status` and `stmd retry` work while the daemon writes.
///
/// ## The crash-safety protocol
///
/// Every output takes four steps; 1 and 2 may run at the same time, and each of the others starts only once
/// the steps before it are durable:
///
/// 1. `OutputWriter.prepare` (or `write` then `sync`) writes the JSON to a hidden temporary file in the output's
///    folder and fsyncs it.
/// 2. `commit` stores a `committed` row holding the JSON and both paths, in one transaction for a small batch
///    (group commit). The writer runs `synchronous = FULL`, so a commit survives power loss, not just a crash.
///    The daemon's group commit runs it while the workers' step-1 fsyncs are still under way.
/// 3. `OutputWriter.publish` renames the temporary file to the final name and fsyncs the folder.
/// 4. `markPublished` makes the row `done` (`failed` for an error output) and drops the stored JSON.
///
/// A crash after step 1 leaves a temporary file and no row: `Recovery` deletes it and the document, unknown to
/// the ledger, is processed as if for the first time (nothing of it was ever published). After step 2,
/// `Recovery` renames the temporary file if it holds exactly the stored JSON (a power loss before step 1's fsync
/// finished can leave it short), or else writes the output again from the stored JSON.
/// After step 3 the final output already holds the stored bytes and `Recovery` only marks the row. After step 4
/// there is nothing to do. So every document ends with exactly one complete output, and a document that
/// reached step 2 is never processed again for the same content: `lookup` finds its row and hash.
///
/// The JSON is kept exactly while it may be needed — from commit until the rename is durable — so the
/// database holds one row per location and small ones after that. Retention is `RetentionPolicy`.
///
/// All methods block (SQLite, fsync); call them from a thread that may block. A `Ledger` is safe to share
/// between threads. A state-directory lock, keeping a second daemon out, is the caller's job.
public final class Ledger: Sendable {
    /// Read-write for the daemon and `stmd retry`; read-only for `stmd status`, which never migrates or writes.
    public enum AccessMode: Sendable, Hashable {
        case readWrite
        case readOnly
    }

    /// The file name inside the state directory.
    public static let fileName = "ledger.sqlite"

    /// The database file.
    public let path: String
    public let mode: AccessMode
    let pool: DatabasePool

    /// Opens (read-write: creates and migrates) `<stateDirectory>/ledger.sqlite`.
    ///
    /// A read-write open also runs SQLite's `quick_check`, so a damaged ledger is reported at start-up, not
    /// halfway through a batch.
    ///
    /// - Throws: `LedgerError` naming the file: `.stateDirectoryMissing`, `.missing` (read-only, no file),
    ///   `.notADatabase`, `.corrupt`, `.permissionDenied`, `.newerSchema`, `.olderSchema` (read-only).
    public init(stateDirectory: String, mode: AccessMode = .readWrite) throws {
        let path = String(
            decoding: PathBytes.join([Array(stateDirectory.utf8), Array(Self.fileName.utf8)]), as: UTF8.self)
        self.path = path
        self.mode = mode
        var info = stat()
        guard stat(stateDirectory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw LedgerError.stateDirectoryMissing(path: stateDirectory)
        }
        if mode == .readOnly && access(path, F_OK) != 0 { throw LedgerError.missing(path: path) }
        if access(path, F_OK) == 0 && access(path, mode == .readOnly ? R_OK : R_OK | W_OK) != 0 {
            throw LedgerError.permissionDenied(path: path, detail: String(cString: strerror(Glibc.errno)))
        }

        var configuration = Configuration()
        configuration.readonly = mode == .readOnly
        // `stmd retry` and the daemon may write at the same moment; wait for each other instead of failing.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // SQLite never shrinks a write-ahead log by itself: one burst (or a migration) would leave it at its largest.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.writeAheadLogLimit)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if mode == .readWrite {
                // Not in `prepareDatabase`: GRDB switches the writer to `synchronous = NORMAL` when it turns WAL
                // on, after that hook has run, and NORMAL does not sync the log at a commit.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            let migrator = Self.migrator
            let (superseded, complete) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded { throw LedgerError.newerSchema(path: path) }
            switch mode {
            case .readOnly:
                if !complete { throw LedgerError.olderSchema(path: path) }
            case .readWrite:
                let problems = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
                if problems != ["ok"] {
                    throw LedgerError.corrupt(path: path, detail: problems.prefix(3).joined(separator: "; "))
                }
                let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
                try migrator.migrate(pool)
                if !applied.isEmpty && !applied.contains(Self.compactingMigration) {
                    try compactAfterRebuild()
                }
            }
        } catch let error as DatabaseError {
            throw LedgerError(error, path: path)
        }
    }

    /// Bytes a write-ahead log is cut back to after a checkpoint (`PRAGMA journal_size_limit`).
    static let writeAheadLogLimit = 64 << 20

    /// The migration that rebuilds the document table: an existing ledger is compacted right after it.
    static let compactingMigration = "v6 pending outputs"

    /// After the v6 rebuild of an existing ledger: the old table's pages are free but still in the file (148 MB of a
    /// 200 MB ledger at 100,000 documents), and the migration's transaction sits in the write-ahead log. `VACUUM`
    /// gives the pages back and a truncating checkpoint empties the log, once, at the first start of this version.
    private func compactAfterRebuild() throws {
        try pool.vacuum()
        _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// The row of the document at `location`, if any. The daemon skips a document whose row has the same
    /// `sha256` and is `done`, `failed` or `committed`; a different hash means new content, processed again.
    public func lookup(_ location: DocumentLocation) throws -> LedgerRecord? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(Self.recordColumns) FROM \(Self.recordSource) WHERE root = ? AND stream = ? AND relative_path = ?",
                arguments: [location.root, location.stream, Data(location.relativePath)]
            ).map(Self.record(from:))
        }
    }

    /// Every row whose content has this SHA-256 (the same bytes under other names or in other streams).
    public func records(sha256: String) throws -> [LedgerRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.recordColumns) FROM \(Self.recordSource) WHERE sha256 = ? ORDER BY id", arguments: [sha256]
            ).map(Self.record(from:))
        }
    }

    /// The row with this id.
    public func record(id: Int64) throws -> LedgerRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.recordColumns) FROM \(Self.recordSource) WHERE id = ?", arguments: [id])
                .map(Self.record(from:))
        }
    }

    /// Rows committed but not published: what `Recovery` finishes at start-up.
    public func committedRecords() throws -> [LedgerRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.recordColumns) FROM \(Self.recordSource) WHERE status = 'committed' ORDER BY id"
            ).map(Self.record(from:))
        }
    }

    /// `retrying` rows whose next attempt is due, soonest first. `stmd retry` (another process) makes rows due
    /// at once, so the daemon polls this (say every few seconds), not only after its own backoffs.
    public func dueRetries(now: Date = Date(), limit: Int = 100) throws -> [LedgerRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.recordColumns) FROM \(Self.recordSource) WHERE status = 'retrying' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, id LIMIT ?
                    """,
                arguments: [now.timeIntervalSince1970, limit]
            ).map(Self.record(from:))
        }
    }

    /// `failed` and `retrying` rows, of one stream or all, oldest change first: what `stmd retry` requeues.
    public func failedDocuments(stream: String? = nil) throws -> [LedgerRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.recordColumns) FROM \(Self.recordSource)
                    WHERE status IN ('failed', 'retrying') AND (?1 IS NULL OR stream = ?1) ORDER BY updated_at, id
                    """,
                arguments: [stream]
            ).map(Self.record(from:))
        }
    }

    /// Per stream: counts by status, the newest current error (of a failed or retrying document, or of a committed
    /// one whose publication failed), the last publication, and how many outputs were published in the
    /// `recentWindow` seconds before `now`.
    public func summary(now: Date = Date(), recentWindow: TimeInterval = 60) throws -> [StreamSummary] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT root, stream,
                        SUM(status = 'done') AS done, SUM(status = 'failed') AS failed,
                        SUM(status = 'retrying') AS retrying, SUM(status = 'committed') AS committed,
                        SUM(processed_at >= ?) AS recent, MAX(processed_at) AS last_published,
                        (SELECT last_error FROM document AS e WHERE e.root = d.root AND e.stream = d.stream
                            AND e.status IN ('failed', 'retrying', 'committed') AND e.last_error IS NOT NULL
                            ORDER BY e.updated_at DESC, e.id DESC LIMIT 1) AS last_error,
                        (SELECT updated_at FROM document AS e WHERE e.root = d.root AND e.stream = d.stream
                            AND e.status IN ('failed', 'retrying', 'committed') AND e.last_error IS NOT NULL
                            ORDER BY e.updated_at DESC, e.id DESC LIMIT 1) AS last_error_at
                    FROM document AS d GROUP BY root, stream ORDER BY stream, root
                    """,
                arguments: [(now - recentWindow).timeIntervalSince1970]
            ).map { row in
                StreamSummary(
                    root: row["root"], stream: row["stream"], done: row["done"], failed: row["failed"],
                    retrying: row["retrying"], committed: row["committed"], recentlyPublished: row["recent"] ?? 0,
                    lastError: row["last_error"], lastErrorAt: Self.date(row["last_error_at"]),
                    lastPublishedAt: Self.date(row["last_published"]))
            }
        }
    }

    /// The journal mode SQLite reports for this ledger (`wal`).
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL: every commit syncs the write-ahead log).
    func writerSynchronous() throws -> Int {
        try write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: - Plumbing

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError {
            throw LedgerError(error, path: path)
        }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        guard mode == .readWrite else { throw LedgerError.readOnly(path: path) }
        do {
            return try pool.write(body)
        } catch let error as DatabaseError {
            throw LedgerError(error, path: path)
        }
    }

    static func date(_ seconds: Double?) -> Date? {
        seconds.map { Date(timeIntervalSince1970: $0) }
    }

    static func record(from row: Row) throws -> LedgerRecord {
        let sha256: String? = row["sha256"]
        let relativePath: Data = row["relative_path"]
        let outputKind: String? = row["output_kind"]
        let status: String = row["status"]
        let versions: String = row["model_versions"]
        return LedgerRecord(
            id: row["id"], generation: row["generation"],
            location: DocumentLocation(root: row["root"], stream: row["stream"], relativePath: [UInt8](relativePath)),
            content: sha256.map {
                ContentIdentity(sha256: $0, size: row["size"] ?? 0, modificationTime: date(row["mtime"]))
            },
            status: LedgerRecord.Status(rawValue: status) ?? .failed,
            outputKind: outputKind.flatMap(OutputKind.init(rawValue:)),
            outputPath: (row["output_path"] as Data?).map { [UInt8]($0) },
            temporaryPath: (row["temporary_path"] as Data?).map { [UInt8]($0) },
            outputJSON: (row["output_json"] as Data?).map { [UInt8]($0) },
            modelVersions: (try? JSONDecoder().decode([String: String].self, from: Data(versions.utf8))) ?? [:],
            attempts: row["attempts"], lastError: row["last_error"], nextAttempt: date(row["next_attempt_at"]),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]), processedAt: date(row["processed_at"]))
    }
}
