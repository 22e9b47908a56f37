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
        migrator.registerMigration("v6 pending outputs") { db in
            // A committed output's JSON and temporary path move to a table of their own, kept only until the output
            // is published. In the document row they made every row 1–3 KB at commit and a few hundred bytes once
            // published, and SQLite does not merge pages when rows shrink: 100,000 documents left 36,000 leaf pages
            // 83 % empty (148 MB for 26 MB of rows). The table is rebuilt without the two columns (SQLite cannot drop
            // a column that a CHECK names); with foreign keys off during migrations, as GRDB runs them.
            try db.execute(
                sql: """
                    CREATE TABLE pending_output (
                        document_id INTEGER PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
                        temporary_path BLOB NOT NULL,
                        output_json BLOB NOT NULL
                    ) STRICT;
                    INSERT INTO pending_output (document_id, temporary_path, output_json)
                        SELECT id, temporary_path, output_json FROM document
                        WHERE status = 'committed' AND temporary_path IS NOT NULL AND output_json IS NOT NULL;
                    CREATE TABLE document_v6 (
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
                        model_versions TEXT NOT NULL DEFAULT '{}',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        next_attempt_at REAL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        processed_at REAL,
                        UNIQUE (root, stream, relative_path),
                        CHECK (status <> 'committed' OR (sha256 IS NOT NULL AND output_kind IS NOT NULL
                            AND output_path IS NOT NULL)),
                        CHECK (status <> 'done' OR sha256 IS NOT NULL),
                        CHECK (status <> 'retrying' OR next_attempt_at IS NOT NULL)
                    ) STRICT;
                    INSERT INTO document_v6 (id, generation, root, stream, relative_path, sha256, size, mtime, status,
                        output_kind, output_path, model_versions, attempts, last_error, next_attempt_at, created_at,
                        updated_at, processed_at)
                        SELECT id, generation, root, stream, relative_path, sha256, size, mtime, status, output_kind,
                            output_path, model_versions, attempts, last_error, next_attempt_at, created_at, updated_at,
                            processed_at
                        FROM document;
                    DROP TABLE document;
                    ALTER TABLE document_v6 RENAME TO document;
                    CREATE INDEX document_by_status ON document (status, next_attempt_at);
                    CREATE INDEX document_by_stream ON document (stream, status);
                    CREATE INDEX document_by_sha256 ON document (sha256);
                    """)
        }
        return migrator
    }

    /// What every record query reads from: a document and its pending output, when it has one.
    static let recordSource = "document LEFT JOIN pending_output ON pending_output.document_id = document.id"

    /// The columns every record query selects (from `recordSource`), in `record(from:)`'s order.
    static let recordColumns = """
        document.id AS id, generation, root, stream, relative_path, sha256, size, mtime, status, output_kind,
        output_path, pending_output.temporary_path AS temporary_path, pending_output.output_json AS output_json,
        model_versions, attempts, last_error, next_attempt_at, created_at, updated_at, processed_at
        """

    /// `recordColumns` for a statement on `document` alone (`RETURNING`): a row without a pending output.
    static let documentRecordColumns = """
        id, generation, root, stream, relative_path, sha256, size, mtime, status, output_kind, output_path,
        NULL AS temporary_path, NULL AS output_json, model_versions, attempts, last_error, next_attempt_at,
        created_at, updated_at, processed_at
        """
}
