public import Foundation
import GRDB
import Glibc

extension Ledger {
    /// Deletes rows by the rule of `RetentionPolicy` and clears any stored JSON of published rows.
    ///
    /// Inputs are looked for (`lstat`) outside any transaction; the delete then matches each row's generation,
    /// so a row that changed in between (its document came back and was committed again) is kept.
    @discardableResult
    public func prune(retention: RetentionPolicy = .default, now: Date = Date()) throws -> PruneReport {
        struct Candidate: Sendable {
            var id: Int64
            var generation: Int64
            var location: DocumentLocation
            var updatedAt: Double
        }
        let candidates = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, generation, root, stream, relative_path, updated_at FROM document
                    WHERE status IN ('done', 'failed')
                    """
            ).map { row in
                let relativePath: Data = row["relative_path"]
                return Candidate(
                    id: row["id"], generation: row["generation"],
                    location: DocumentLocation(
                        root: row["root"], stream: row["stream"], relativePath: [UInt8](relativePath)),
                    updatedAt: row["updated_at"])
            }
        }
        var missingByStream: [String: [Candidate]] = [:]
        for candidate in candidates where Self.inputIsGone(candidate.location) {
            missingByStream["\(candidate.location.root)\u{0}\(candidate.location.stream)", default: []].append(
                candidate)
        }
        let cutoff = (now - retention.maximumAge).timeIntervalSince1970
        var doomed: [Candidate] = []
        for (_, rows) in missingByStream {
            let newestFirst = rows.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
            for (rank, row) in newestFirst.enumerated()
            where row.updatedAt < cutoff || rank >= retention.maximumMissingPerStream {
                doomed.append(row)
            }
        }
        let deletions = doomed
        let (deleted, cleared, forgotten) = try write { db in
            var deleted = 0
            for row in deletions {
                try db.execute(
                    sql: "DELETE FROM document WHERE id = ? AND generation = ? AND status IN ('done', 'failed')",
                    arguments: [row.id, row.generation])
                deleted += db.changesCount
            }
            // A pending output whose row is no longer committed (none should be: every change of status drops it).
            try db.execute(
                sql: """
                    DELETE FROM pending_output
                    WHERE document_id NOT IN (SELECT id FROM document WHERE status = 'committed')
                    """)
            let cleared = db.changesCount
            // A judged log file's stored output whose file never came back to be published.
            try db.execute(sql: "DELETE FROM lines_report WHERE created_at < ?", arguments: [cutoff])
            return (deleted, cleared, try Self.forgetAbandonedMemory(in: db, cutoff: cutoff))
        }
        return PruneReport(
            examined: candidates.count, missing: missingByStream.values.reduce(0) { $0 + $1.count },
            deleted: deleted, clearedOutputs: cleared, forgottenMemories: forgotten)
    }

    /// The memory of a stream that is gone — no ledger row left (its files and folder removed, or renamed) and no
    /// change since the retention cutoff — is deleted, so dead streams do not keep their windows forever. The reset
    /// counter grows with it, so a running daemon drops any copy in RAM before its next document.
    static func forgetAbandonedMemory(in db: Database, cutoff: Double) throws -> Int {
        let streams = try String.fetchAll(
            db,
            sql: """
                SELECT stream FROM memory_stream AS s
                WHERE s.updated_at < ? AND NOT EXISTS (SELECT 1 FROM document AS d WHERE d.stream = s.stream)
                """,
            arguments: [cutoff])
        guard !streams.isEmpty else { return 0 }
        for stream in streams {
            try db.execute(sql: "DELETE FROM memory_window WHERE stream = ?", arguments: [stream])
            try db.execute(sql: "DELETE FROM memory_stream WHERE stream = ?", arguments: [stream])
        }
        try db.execute(sql: "UPDATE memory_control SET value = value + 1 WHERE key = 'resets'")
        return streams.count
    }

    /// True only when `lstat` says nothing is there (`ENOENT`, `ENOTDIR`); an unreadable folder keeps the row.
    static func inputIsGone(_ location: DocumentLocation) -> Bool {
        let code = FileCalls.status(location.inputPath).code
        return code == ENOENT || code == ENOTDIR
    }
}
