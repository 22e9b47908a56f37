import GRDB

extension Ledger {
    /// The ledger's schema, one migration per version. Migrations are never edited once released; a change
    /// is a new migration appended here.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 documents") { db in
            // STRICT: a value of the wrong type (text bound to a BLOB name) is an error, not a silent coercion.
            // One row per location; the CHECKs make the protocol's invariants the database's, so a bad row
            // fails its whole commit batch.
            try db.execute(
                sql: """
                    CREATE TABLE document (
                        id INTEGER PRIMARY KEY,
                        generation INTEGER NOT NULL DEFAULT 1,
                        root TEXT NOT NULL,
                        stream TEXT NOT NULL,
                        relative_path BLOB NOT NULL CHECK (length(relative_path) > 0),
                        sha256 TEXT CHECK (sha256 IS NULL OR (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),
                        size INTEGER,
                        mtime REAL,
                        status TEXT NOT NULL CHECK (status IN ('committed', 'done', 'failed', 'retrying')),
                        output_kind TEXT CHECK (output_kind IS NULL OR output_kind IN ('annotation', 'error')),
                        output_path BLOB,
                        temporary_path BLOB,
                        output_json BLOB,
                        model_versions TEXT NOT NULL DEFAULT '{}',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        next_attempt_at REAL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        processed_at REAL,
                        UNIQUE (root, stream, relative_path),
                        CHECK (status <> 'committed' OR (sha256 IS NOT NULL AND output_kind IS NOT NULL
                            AND output_path IS NOT NULL AND temporary_path IS NOT NULL AND output_json IS NOT NULL)),
                        CHECK (status <> 'done' OR sha256 IS NOT NULL),
                        CHECK (status <> 'retrying' OR next_attempt_at IS NOT NULL)
                    ) STRICT;
                    CREATE INDEX document_by_status ON document (status, next_attempt_at);
                    CREATE INDEX document_by_stream ON document (stream, status);
                    CREATE INDEX document_by_sha256 ON document (sha256);
                    """)
        }
        migrator.registerMigration("v2 stream memory") { db in
            try db.execute(sql: Ledger.memorySchema)
        }
        migrator.registerMigration("v3 journal monitoring") { db in
            try db.execute(sql: Ledger.journalSchema)
        }
        migrator.registerMigration("v4 memory highlights") { db in
            // A window document's best summary sentences (JSON), for the stream's digest; NULL without a summary.
            try db.execute(sql: "ALTER TABLE memory_window ADD COLUMN highlights TEXT")
        }
        migrator.registerMigration("v5 lines reports") { db in
            // The output of a log file judged in a `kind = "lines"` stream, stored with the detector state that judging
            // it produced, until the output is published: a crash in between publishes this, not a second judgement.
            try db.execute(
                sql: """
                    CREATE TABLE lines_report (
                        key TEXT PRIMARY KEY,
                        json BLOB NOT NULL,
                        created_at REAL NOT NULL
                    ) STRICT
                    """)
        }
        return migrator
    }

    /// The columns every record query selects, in `record(from:)`'s order.
    static let recordColumns = """
        id, generation, root, stream, relative_path, sha256, size, mtime, status, output_kind, output_path,
        temporary_path, output_json, model_versions, attempts, last_error, next_attempt_at, created_at,
        updated_at, processed_at
        """
}
