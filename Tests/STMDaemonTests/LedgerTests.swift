import Foundation
import GRDB
import Glibc
import STMTesting
import Testing

@testable import STMDaemon

struct LedgerTests {
    /// An inbox, a state directory and a ledger in one temporary folder.
    struct Fixture {
        let inbox: OutputWriterTests.Inbox
        let writer = OutputWriter()
        let ledger: Ledger
        var stateDirectory: String { inbox.directory.path + "/state" }

        init() throws {
            inbox = try OutputWriterTests.Inbox()
            RawFile.makeFolder(RawFile.bytes(inbox.directory.path + "/state"))
            ledger = try Ledger(stateDirectory: inbox.directory.path + "/state")
        }

        /// Drops `name` into the stream and prepares its output (steps 0 and 1 of the protocol).
        func prepared(_ name: String, kind: OutputKind = .annotation, hash: Int = 1, error: String? = nil)
            throws -> CommittedOutput
        {
            let location = inbox.drop(RawFile.bytes(name))
            let json = RawFile.bytes(#"{"input":{"name":"\#(name)"},"hash":\#(hash)}"#)
            return CommittedOutput(
                prepared: try writer.prepare(json: json, for: location, kind: kind),
                content: ContentIdentity(
                    sha256: LedgerTests.sha(hash), size: 26,
                    modificationTime: Date(timeIntervalSince1970: 1_700_000_000.5)),
                modelVersions: ["sentiment-en": "1", "topic-news": "1"], error: error)
        }
    }

    /// A well-formed SHA-256 hex string that differs per `n`.
    static func sha(_ n: Int) -> String {
        let digits = String(n, radix: 16)
        return String(repeating: "0", count: 64 - digits.count) + digits
    }

    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func commitAndPublishRoundTrip() throws {
        let fixture = try Fixture()
        let output = try fixture.prepared("rally.txt")
        let location = output.prepared.location
        #expect(try fixture.ledger.lookup(location) == nil)

        let tokens = try fixture.ledger.commit([output], now: Self.now)
        let committed = try #require(try fixture.ledger.lookup(location))
        #expect(committed.token == tokens[0])
        #expect(committed.status == .committed)
        #expect(committed.location == location)
        #expect(committed.content == output.content)
        #expect(committed.outputKind == .annotation)
        #expect(committed.outputJSON == output.prepared.json)
        #expect(committed.outputPath == output.prepared.outputPath)
        #expect(committed.temporaryPath == output.prepared.temporaryPath)
        #expect(committed.modelVersions == ["sentiment-en": "1", "topic-news": "1"])
        #expect(committed.attempts == 1)
        #expect(committed.createdAt == Self.now && committed.updatedAt == Self.now && committed.processedAt == nil)
        #expect(try fixture.ledger.committedRecords().map(\.id) == [committed.id])

        try fixture.writer.publish(output.prepared)
        let later = Self.now + 1
        #expect(try fixture.ledger.markPublished(tokens, now: later) == 1)
        let done = try #require(try fixture.ledger.lookup(location))
        #expect(done.status == .done)
        #expect(done.outputJSON == nil && done.temporaryPath == nil)
        #expect(done.outputPath == output.prepared.outputPath)
        #expect(done.processedAt == later && done.createdAt == Self.now)
        #expect(done.generation == committed.generation + 1)
        #expect(try fixture.ledger.committedRecords().isEmpty)
        #expect(try fixture.ledger.record(id: done.id) == done)
        // Marking again matches nothing.
        #expect(try fixture.ledger.markPublished(tokens, now: later) == 0)
    }

    @Test func rawNamesRoundTrip() throws {
        let fixture = try Fixture()
        for name in [[0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74], RawFile.bytes("a\nb"), RawFile.bytes("sub/dir/x y.txt")]
            as [[UInt8]]
        {
            let location = fixture.inbox.drop(name)
            let prepared = try fixture.writer.prepare(json: [1, 2, 3], for: location, kind: .annotation)
            try fixture.ledger.commit([
                CommittedOutput(prepared: prepared, content: ContentIdentity(sha256: Self.sha(7), size: 3))
            ])
            let record = try #require(try fixture.ledger.lookup(location))
            #expect(record.location.relativePath == name)
            #expect(record.outputPath == location.inputPath + RawFile.bytes(".stm.json"))
        }
        // A different byte, same text after a lossy decoding, is a different document.
        #expect(try fixture.ledger.lookup(fixture.inbox.location([0x66, 0xEA, 0x2E, 0x74, 0x78, 0x74])) == nil)
    }

    /// A committed output that could not be renamed keeps its row and token; its error shows in the summary until
    /// the output is published.
    @Test func anUnpublishedOutputsErrorShowsUntilItIsPublished() throws {
        let fixture = try Fixture()
        let tokens = try fixture.ledger.commit([try fixture.prepared("first.txt")])
        try fixture.ledger.noteUnpublished(tokens[0], error: "fsync failed: EIO")
        let pending = try #require(try fixture.ledger.summary().first)
        #expect(pending.committed == 1 && pending.lastError == "fsync failed: EIO")
        #expect(try fixture.ledger.markPublished(tokens) == 1)
        let published = try #require(try fixture.ledger.summary().first)
        #expect(published.done == 1 && published.committed == 0 && published.lastError == nil)
    }

    /// Step 2 must survive power loss: GRDB's WAL set-up leaves its writer at NORMAL, which syncs the log only
    /// at checkpoints, so the ledger has to set FULL after opening the pool (and again after a reopen).
    @Test func theWriterSyncsTheLogAtEveryCommit() throws {
        let fixture = try Fixture()
        #expect(try fixture.ledger.writerSynchronous() == 2)
        try fixture.ledger.commit([try fixture.prepared("first.txt")])
        #expect(try fixture.ledger.writerSynchronous() == 2)
        let reopened = try Ledger(stateDirectory: fixture.stateDirectory)
        #expect(try reopened.writerSynchronous() == 2)
    }

    @Test func walModeLetsAReaderWorkDuringAnOpenWriteTransaction() throws {
        let fixture = try Fixture()
        #expect(try fixture.ledger.journalMode() == "wal")
        let first = try fixture.prepared("first.txt")
        try fixture.ledger.commit([first])

        // An independent writer connection holds a write transaction open…
        let writer = try DatabaseQueue(path: fixture.ledger.path)
        let status = try #require(try writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") })
        #expect(status == "wal")
        let reader = try Ledger(stateDirectory: fixture.stateDirectory, mode: .readOnly)
        try writer.inDatabase { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "UPDATE document SET status = 'failed', last_error = 'uncommitted'")
            // …while a read-only connection and the daemon's own readers still read the committed state.
            #expect(try reader.lookup(first.prepared.location)?.status == .committed)
            #expect(try fixture.ledger.lookup(first.prepared.location)?.status == .committed)
            #expect(try reader.summary().map(\.committed) == [1])
            try db.execute(sql: "COMMIT")
        }
        #expect(try reader.lookup(first.prepared.location)?.status == .failed)
        #expect(throws: LedgerError.readOnly(path: fixture.ledger.path)) { try reader.requeue([1]) }
    }

    @Test func statusReadsALedgerNoDaemonHasOpen() throws {
        let fixture = try Fixture()
        let output = try fixture.prepared("doc.txt")
        do {
            // The daemon's ledger, closed at the end of this scope (SQLite checkpoints and removes the WAL).
            let daemon = try Ledger(stateDirectory: fixture.stateDirectory)
            try daemon.markPublished(try daemon.commit([output]))
        }
        let status = try Ledger(stateDirectory: fixture.stateDirectory, mode: .readOnly)
        #expect(try status.lookup(output.prepared.location)?.status == .done)
        #expect(try status.summary().map(\.done) == [1])
    }

    @Test func groupCommitIsAllOrNothing() throws {
        let fixture = try Fixture()
        var batch = [try fixture.prepared("a.txt"), try fixture.prepared("b.txt"), try fixture.prepared("c.txt")]
        batch[1].content.sha256 = "not a hash"
        #expect {
            try fixture.ledger.commit(batch)
        } throws: { error in
            guard case LedgerError.invalidRecord(let path, _) = error else { return false }
            return path == fixture.ledger.path
        }
        for output in batch { #expect(try fixture.ledger.lookup(output.prepared.location) == nil) }

        batch[1].content.sha256 = Self.sha(2)
        let tokens = try fixture.ledger.commit(batch)
        #expect(Set(tokens.map(\.id)).count == 3)
        #expect(try fixture.ledger.committedRecords().count == 3)
    }

    @Test func lookupByHashAndChangedContent() throws {
        let fixture = try Fixture()
        let original = try fixture.prepared("doc.txt", hash: 1)
        let copy = try fixture.prepared("copy.txt", hash: 1)
        let tokens = try fixture.ledger.commit([original, copy])
        try fixture.ledger.markPublished(tokens)
        let location = original.prepared.location

        let done = try #require(try fixture.ledger.lookup(location))
        #expect(done.status == .done && done.content?.sha256 == Self.sha(1))
        #expect(try fixture.ledger.records(sha256: Self.sha(1)).map(\.location) == [location, copy.prepared.location])
        #expect(try fixture.ledger.records(sha256: Self.sha(9)).isEmpty)

        // New content under the same name: the same row, a new generation, attempts start over.
        let changed = try fixture.prepared("doc.txt", hash: 2)
        let newToken = try fixture.ledger.commit([changed])[0]
        let recommitted = try #require(try fixture.ledger.lookup(location))
        #expect(recommitted.id == done.id && newToken.generation > done.generation)
        #expect(recommitted.status == .committed && recommitted.content?.sha256 == Self.sha(2))
        #expect(recommitted.attempts == 1)
        #expect(try fixture.ledger.records(sha256: Self.sha(1)).map(\.location) == [copy.prepared.location])
    }

    @Test func aStaleTokenDoesNotMarkANewerCommit() throws {
        let fixture = try Fixture()
        let old = try fixture.ledger.commit([try fixture.prepared("doc.txt", hash: 1)])[0]
        let new = try fixture.ledger.commit([try fixture.prepared("doc.txt", hash: 2)])[0]
        #expect(old.id == new.id && old.generation != new.generation)
        #expect(try fixture.ledger.markPublished([old]) == 0)
        #expect(try fixture.ledger.record(id: old.id)?.status == .committed)
        #expect(try fixture.ledger.markPublished([new]) == 1)
    }

    @Test func failuresRetriesAndRequeue() throws {
        let fixture = try Fixture()
        let flaky = fixture.inbox.drop(RawFile.bytes("flaky.txt"))
        let broken = fixture.inbox.drop(RawFile.bytes("broken.bin"))
        let content = ContentIdentity(sha256: Self.sha(3), size: 10)

        let retrying = try fixture.ledger.recordFailure(
            flaky, content: content, error: "ENOSPC", transient: true, nextAttempt: Self.now + 30, now: Self.now)
        #expect(retrying.status == .retrying && retrying.attempts == 1 && retrying.nextAttempt == Self.now + 30)
        let again = try fixture.ledger.recordFailure(
            flaky, content: content, error: "ENOSPC", transient: true, nextAttempt: Self.now + 90, now: Self.now + 30)
        #expect(again.attempts == 2 && again.id == retrying.id)
        #expect(try fixture.ledger.dueRetries(now: Self.now + 60).isEmpty)
        #expect(try fixture.ledger.dueRetries(now: Self.now + 90).map(\.id) == [retrying.id])

        let failed = try fixture.ledger.recordFailure(
            broken, content: nil, error: "binary (NUL bytes)", transient: false, now: Self.now)
        #expect(failed.status == .failed && failed.nextAttempt == nil && failed.content == nil)

        let other = DocumentLocation(root: fixture.inbox.root, stream: "other", relativePath: "x")
        try fixture.ledger.recordFailure(other, content: nil, error: "EACCES", transient: false, now: Self.now)
        #expect(
            try fixture.ledger.failedDocuments(stream: "news").map(\.id).sorted() == [retrying.id, failed.id].sorted())
        #expect(try fixture.ledger.failedDocuments().count == 3)

        // A done document is not requeued.
        let doneToken = try fixture.ledger.commit([try fixture.prepared("fine.txt")])[0]
        try fixture.ledger.markPublished([doneToken])
        let ids = try fixture.ledger.failedDocuments(stream: "news").map(\.id) + [doneToken.id]
        #expect(try fixture.ledger.requeue(ids, now: Self.now + 100) == 2)
        let requeued = try #require(try fixture.ledger.record(id: failed.id))
        #expect(requeued.status == .retrying && requeued.attempts == 0 && requeued.nextAttempt == Self.now + 100)
        #expect(requeued.lastError == "binary (NUL bytes)")
        #expect(try fixture.ledger.dueRetries(now: Self.now + 100).count == 2)
        #expect(try fixture.ledger.record(id: doneToken.id)?.status == .done)
    }

    @Test func anErrorOutputMarksTheDocumentFailed() throws {
        let fixture = try Fixture()
        let output = try fixture.prepared("empty.txt", kind: .error, error: "empty document")
        let token = try fixture.ledger.commit([output])[0]
        try fixture.writer.publish(output.prepared)
        try fixture.ledger.markPublished([token])
        let record = try #require(try fixture.ledger.lookup(output.prepared.location))
        #expect(record.status == .failed && record.outputKind == .error && record.lastError == "empty document")
        #expect(record.outputPath == output.prepared.location.inputPath + RawFile.bytes(".stm.error.json"))

        // Requeued and then annotated: done, and the error is gone.
        try fixture.ledger.requeue([record.id])
        let fixed = try fixture.prepared("empty.txt", hash: 5)
        try fixture.ledger.markPublished(try fixture.ledger.commit([fixed]))
        let done = try #require(try fixture.ledger.lookup(output.prepared.location))
        #expect(done.status == .done && done.lastError == nil && done.outputKind == .annotation)
    }

    @Test func summaryPerStream() throws {
        let fixture = try Fixture()
        let tokens = try fixture.ledger.commit(
            [try fixture.prepared("a.txt"), try fixture.prepared("b.txt")], now: Self.now)
        try fixture.ledger.markPublished([tokens[0]], now: Self.now - 3600)
        try fixture.ledger.markPublished([tokens[1]], now: Self.now - 10)
        try fixture.ledger.commit([try fixture.prepared("c.txt")], now: Self.now)
        let root = fixture.inbox.root
        try fixture.ledger.recordFailure(
            DocumentLocation(root: root, stream: "news", relativePath: "d"), content: nil, error: "older",
            transient: false,
            now: Self.now - 50)
        try fixture.ledger.recordFailure(
            DocumentLocation(root: root, stream: "news", relativePath: "e"), content: nil, error: "newer",
            transient: true,
            nextAttempt: Self.now, now: Self.now - 5)
        try fixture.ledger.recordFailure(
            DocumentLocation(root: root, stream: "mail", relativePath: "f"), content: nil, error: "mail error",
            transient: false, now: Self.now)

        let summary = try fixture.ledger.summary(now: Self.now, recentWindow: 60)
        #expect(summary.map(\.stream) == ["mail", "news"])
        let mail = summary[0]
        #expect(mail.done == 0 && mail.failed == 1 && mail.lastError == "mail error" && mail.lastPublishedAt == nil)
        let news = summary[1]
        #expect(news.root == root)
        #expect(news.done == 2 && news.failed == 1 && news.retrying == 1 && news.committed == 1)
        #expect(news.recentlyPublished == 1)
        #expect(news.lastError == "newer" && news.lastErrorAt == Self.now - 5)
        #expect(news.lastPublishedAt == Self.now - 10)
    }

    @Test func pruneKeepsWhatItMust() throws {
        let fixture = try Fixture()
        let ledger = fixture.ledger
        let old = Self.now - 30 * 24 * 3600
        let policy = RetentionPolicy(maximumAge: 7 * 24 * 3600, maximumMissingPerStream: 3)

        func done(_ name: String, at time: Date) throws -> LedgerRecord {
            let output = try fixture.prepared(name)
            try fixture.writer.publish(output.prepared)
            try ledger.markPublished(try ledger.commit([output], now: time), now: time)
            return try #require(try ledger.lookup(output.prepared.location))
        }
        let present = try done("present.txt", at: old)  // input still there: kept however old
        let goneOld = try done("gone-old.txt", at: old)
        // Five missing rows younger than the maximum age, oldest first.
        let recent = try (0..<5).map { index in try done("gone-\(index).txt", at: Self.now - Double(60 * (5 - index))) }
        let failedGone = try ledger.recordFailure(
            fixture.inbox.location(RawFile.bytes("failed-gone.txt")), content: nil, error: "x", transient: false,
            now: old)
        let retryingGone = try ledger.recordFailure(
            fixture.inbox.location(RawFile.bytes("retrying-gone.txt")), content: nil, error: "x", transient: true,
            nextAttempt: old, now: old)
        let committedGone = try fixture.prepared("committed-gone.txt")
        try ledger.commit([committedGone], now: old)
        for record in [goneOld] + recent { RawFile.remove(record.location.inputPath) }
        RawFile.remove(committedGone.prepared.location.inputPath)

        let report = try ledger.prune(retention: policy, now: Self.now)
        #expect(report.examined == 8)  // the done and failed rows
        #expect(report.missing == 7)
        // Deleted: the old done row, the old failed row, and the two oldest of the five recent missing ones.
        #expect(report.deleted == 4)
        #expect(report.clearedOutputs == 0)
        #expect(try ledger.record(id: present.id) != nil)
        #expect(try ledger.record(id: goneOld.id) == nil)
        #expect(try ledger.record(id: failedGone.id) == nil)
        #expect(try ledger.record(id: retryingGone.id) != nil)
        #expect(try ledger.lookup(committedGone.prepared.location)?.status == .committed)
        #expect(try recent.map { try ledger.record(id: $0.id) != nil } == [false, false, true, true, true])
        // A second pass finds nothing more to delete.
        #expect(try ledger.prune(retention: policy, now: Self.now).deleted == 0)
    }

    @Test func aCorruptFileIsAClearError() throws {
        let directory = try TemporaryDirectory(prefix: "stmd-ledger")
        let path = directory.path + "/ledger.sqlite"
        RawFile.write(RawFile.bytes(path), Array(repeating: 0x5A, count: 8192))
        #expect(throws: LedgerError.notADatabase(path: path)) { try Ledger(stateDirectory: directory.path) }
        #expect(throws: LedgerError.notADatabase(path: path)) {
            try Ledger(stateDirectory: directory.path, mode: .readOnly)
        }
        #expect(LedgerError.notADatabase(path: path).description.contains(path))
    }

    @Test func damagedPagesAreFoundAtOpen() throws {
        let fixture = try Fixture()
        let path = fixture.ledger.path
        do {
            // Enough rows for several pages of table and index, then close every connection (checkpointing the WAL).
            let ledger = try Ledger(stateDirectory: fixture.stateDirectory)
            for index in 0..<400 {
                try ledger.recordFailure(
                    DocumentLocation(
                        root: "/r", stream: "s", relativePath: "document-\(index)-" + String(repeating: "x", count: 100)
                    ),
                    content: nil, error: String(repeating: "e", count: 200), transient: false)
            }
        }
        let size = FileCalls.status(RawFile.bytes(path)).info.map { Int($0.st_size) } ?? 0
        #expect(size > 8 * 4096)
        // Overwrite pages 3… 6 (the header and schema page stay intact).
        let fd = PathBytes.withCString(RawFile.bytes(path)) { open($0, O_WRONLY) }
        let junk = [UInt8](repeating: 0xA5, count: 4 * 4096)
        _ = junk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 2 * 4096) }
        close(fd)
        #expect {
            try Ledger(stateDirectory: fixture.stateDirectory)
        } throws: { error in
            guard case LedgerError.corrupt(let errorPath, _) = error else { return false }
            return errorPath == path && error.localizedDescription.isEmpty == false
        }
    }

    /// A ledger written by the previous schema (v5: a committed row keeps its JSON in the document row) opens with
    /// its committed output intact in `pending_output`, ready for recovery, and its published rows unchanged; the
    /// document table no longer has the two columns.
    @Test func aVersion5LedgerKeepsItsCommittedOutputAcrossTheMigration() throws {
        let directory = try TemporaryDirectory(prefix: "stmd-ledger")
        let path = directory.path + "/ledger.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try Ledger.migrator.migrate(queue, upTo: "v5 lines reports")
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO document (id, root, stream, relative_path, sha256, size, mtime, status, output_kind,
                            output_path, temporary_path, output_json, attempts, created_at, updated_at)
                        VALUES (7, '/in', 's', x'612E747874', ?, 3, 1.5, 'committed', 'annotation', x'612E747874',
                            x'2E612E746D70', x'7B7D', 1, 1, 1),
                            (8, '/in', 's', x'622E747874', ?, 4, 2.5, 'done', 'annotation', x'622E747874', NULL, NULL,
                            1, 1, 1)
                        """,
                    arguments: [Self.sha(1), Self.sha(2)])
            }
        }
        let ledger = try Ledger(stateDirectory: directory.path)
        let committed = try ledger.committedRecords()
        #expect(committed.map(\.id) == [7])
        #expect(committed.first?.outputJSON == Array("{}".utf8))
        #expect(committed.first?.temporaryPath == Array(".a.tmp".utf8))
        let done = try #require(try ledger.record(id: 8))
        #expect(done.status == .done && done.outputJSON == nil && done.content?.sha256 == Self.sha(2))
        let columns = try DatabaseQueue(path: path).read { db in try db.columns(in: "document").map(\.name) }
        #expect(!columns.contains("output_json") && !columns.contains("temporary_path"))
        // The old table's pages were given back (VACUUM after the rebuild), not left on the free list.
        let freePages = try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") }
        #expect(freePages == 0)
        // Publishing it drops the pending output.
        #expect(try ledger.markPublished([CommitToken(id: 7, generation: committed[0].generation)]) == 1)
        #expect(try ledger.record(id: 7)?.outputJSON == nil)
        let pending = try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_output") }
        #expect(pending == 0)
    }

    @Test func openErrorsNameThePath() throws {
        let directory = try TemporaryDirectory(prefix: "stmd-ledger")
        #expect(throws: LedgerError.stateDirectoryMissing(path: directory.path + "/nope")) {
            try Ledger(stateDirectory: directory.path + "/nope")
        }
        #expect(throws: LedgerError.missing(path: directory.path + "/ledger.sqlite")) {
            try Ledger(stateDirectory: directory.path, mode: .readOnly)
        }
        // A schema from a newer stmd.
        do {
            _ = try Ledger(stateDirectory: directory.path)
            let queue = try DatabaseQueue(path: directory.path + "/ledger.sqlite")
            try queue.write {
                try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
            }
        }
        #expect(throws: LedgerError.newerSchema(path: directory.path + "/ledger.sqlite")) {
            try Ledger(stateDirectory: directory.path)
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root bypasses file permissions"))
    func anUnreadableLedgerIsAClearError() throws {
        let fixture = try Fixture()
        let path = fixture.ledger.path
        _ = PathBytes.withCString(RawFile.bytes(path)) { chmod($0, 0) }
        defer { _ = PathBytes.withCString(RawFile.bytes(path)) { chmod($0, 0o600) } }
        #expect {
            try Ledger(stateDirectory: fixture.stateDirectory)
        } throws: { error in
            guard case LedgerError.permissionDenied(let errorPath, _) = error else { return false }
            return errorPath == path
        }
    }
}
