import Foundation
import Glibc
import STMTesting
import Testing

@testable import STMDaemon

struct RecoveryTests {
    /// Where a simulated crash stops the protocol (`Ledger`'s steps 1–4), plus damage done while it was down.
    enum CrashPoint: String, CaseIterable, CustomTestStringConvertible {
        case afterTemporaryWrite
        case afterCommit
        case afterRename
        case afterMark
        /// Committed, then the temporary file vanished: the output is written again from the stored JSON.
        case afterCommitTemporaryLost
        /// Renamed, then the final output was deleted before the row was marked.
        case afterRenameFinalLost
        /// Renamed, then the final output was overwritten with other bytes.
        case afterRenameFinalDiffers

        var testDescription: String { rawValue }
    }

    /// Documents with awkward names, one of them failing with an error output.
    static let documents: [(name: [UInt8], kind: OutputKind)] = [
        (RawFile.bytes("plain.txt"), .annotation),
        (RawFile.bytes("new\nline.txt"), .annotation),
        ([0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74], .annotation),
        (RawFile.bytes("sub/deep er/x.txt"), .annotation),
        (RawFile.bytes("binary.bin"), .error),
    ]

    /// Runs the protocol for every document up to `point`, as a crash would leave it; returns the outputs.
    static func crash(at point: CrashPoint, fixture: LedgerTests.Fixture, writer: OutputWriter? = nil) throws
        -> [CommittedOutput]
    {
        let writer = writer ?? fixture.writer
        let outputs = try documents.enumerated().map { index, document in
            let location = fixture.inbox.drop(document.name)
            let json = RawFile.bytes(#"{"document":\#(index),"kind":"\#(document.kind.rawValue)"}"#)
            return CommittedOutput(
                prepared: try writer.prepare(json: json, for: location, kind: document.kind),
                content: ContentIdentity(sha256: LedgerTests.sha(index + 1), size: 26),
                error: document.kind == .error ? "binary (NUL bytes)" : nil)
        }
        if point == .afterTemporaryWrite { return outputs }
        let tokens = try fixture.ledger.commit(outputs)
        if point == .afterCommitTemporaryLost {
            for output in outputs { RawFile.remove(output.prepared.temporaryPath) }
        }
        if point == .afterCommit || point == .afterCommitTemporaryLost { return outputs }
        for output in outputs { try writer.publish(output.prepared) }
        for output in outputs {
            if point == .afterRenameFinalLost { RawFile.remove(output.prepared.outputPath) }
            if point == .afterRenameFinalDiffers {
                RawFile.write(output.prepared.outputPath, RawFile.bytes("{\"trunc"))
            }
        }
        if point == .afterMark { try fixture.ledger.markPublished(tokens) }
        return outputs
    }

    /// Every input has exactly one complete output with the committed bytes (or, when nothing was committed,
    /// none), no temporary file is left, and the ledger agrees.
    static func expectConsistent(_ fixture: LedgerTests.Fixture, _ outputs: [CommittedOutput], committed: Bool) throws {
        #expect(RawFile.temporaryFiles(under: RawFile.bytes(fixture.inbox.root)).map(PathBytes.render) == [])
        #expect(try fixture.ledger.committedRecords().isEmpty)
        for output in outputs {
            let prepared = output.prepared
            let siblings = RawFile.list(prepared.folderPath).filter { $0.starts(with: prepared.location.name) }
            let record = try fixture.ledger.lookup(prepared.location)
            if committed {
                #expect(siblings == [prepared.location.name, prepared.target.outputName])
                #expect(RawFile.read(prepared.outputPath) == prepared.json)
                #expect(record?.status == (prepared.kind == .annotation ? .done : .failed))
                #expect(record?.outputJSON == nil)
                #expect(record?.outputPath == prepared.outputPath)
            } else {
                #expect(siblings == [prepared.location.name])
                #expect(record == nil)
            }
        }
    }

    @Test(arguments: CrashPoint.allCases)
    func recoveryAfterACrash(at point: CrashPoint) throws {
        let fixture = try LedgerTests.Fixture()
        let outputs = try Self.crash(at: point, fixture: fixture)
        let recovery = Recovery(ledger: fixture.ledger, writer: fixture.writer)

        let report = try recovery.run(inboxRoots: [fixture.inbox.root])
        var expected = RecoveryReport()
        let count = outputs.count
        switch point {
        case .afterTemporaryWrite: expected.orphansDeleted = count
        case .afterCommit: (expected.committed, expected.renamed) = (count, count)
        case .afterRename: (expected.committed, expected.alreadyPublished) = (count, count)
        case .afterMark: break
        case .afterCommitTemporaryLost, .afterRenameFinalLost, .afterRenameFinalDiffers:
            (expected.committed, expected.rewritten) = (count, count)
        }
        #expect(report == expected)
        try Self.expectConsistent(fixture, outputs, committed: point != .afterTemporaryWrite)
        if point != .afterTemporaryWrite {
            let failed = try #require(try fixture.ledger.lookup(outputs[4].prepared.location))
            #expect(failed.lastError == "binary (NUL bytes)")
        }

        // A second recovery finds nothing to do and changes nothing.
        #expect(try recovery.run(inboxRoots: [fixture.inbox.root]) == RecoveryReport())
        try Self.expectConsistent(fixture, outputs, committed: point != .afterTemporaryWrite)
    }

    @Test(arguments: [CrashPoint.afterTemporaryWrite, .afterCommit, .afterRenameFinalLost])
    func recoveryUnderAnOutputRoot(at point: CrashPoint) throws {
        let fixture = try LedgerTests.Fixture()
        let outputRoot = fixture.inbox.directory.path + "/out"
        RawFile.makeFolder(RawFile.bytes(outputRoot))
        let writer = OutputWriter(destination: .outputRoot(outputRoot))
        let outputs = try Self.crash(at: point, fixture: fixture, writer: writer)

        let report = try Recovery(ledger: fixture.ledger, writer: writer).run(inboxRoots: [fixture.inbox.root])
        #expect(report.orphansDeleted == (point == .afterTemporaryWrite ? outputs.count : 0))
        #expect(report.renamed + report.rewritten == (point == .afterTemporaryWrite ? 0 : outputs.count))
        #expect(RawFile.temporaryFiles(under: RawFile.bytes(outputRoot)).map(PathBytes.render) == [])
        for output in outputs {
            let expected: [UInt8]? = point == .afterTemporaryWrite ? nil : output.prepared.json
            #expect(RawFile.read(output.prepared.outputPath) == expected)
            #expect(output.prepared.outputPath.starts(with: RawFile.bytes(outputRoot + "/news/")))
        }
        // The inbox holds only inputs.
        #expect(RawFile.list(fixture.inbox.streamPath).allSatisfy { !OutputNaming.isDaemonFile($0) })
    }

    @Test func aChangedDestinationGetsTheOutput() throws {
        let fixture = try LedgerTests.Fixture()
        let outputs = try Self.crash(at: .afterCommit, fixture: fixture)
        let outputRoot = fixture.inbox.directory.path + "/out"
        RawFile.makeFolder(RawFile.bytes(outputRoot))
        let writer = OutputWriter(destination: .outputRoot(outputRoot))

        let report = try Recovery(ledger: fixture.ledger, writer: writer).run(inboxRoots: [fixture.inbox.root])
        #expect(report.rewritten == outputs.count)
        #expect(RawFile.temporaryFiles(under: RawFile.bytes(fixture.inbox.root)).map(PathBytes.render) == [])
        for output in outputs {
            let path = try writer.outputPath(for: output.prepared.location, kind: output.prepared.kind)
            #expect(RawFile.read(path) == output.prepared.json)
            #expect(RawFile.read(output.prepared.outputPath) == nil)
            #expect(try fixture.ledger.lookup(output.prepared.location)?.outputPath == path)
        }
    }

    @Test func theSweepDeletesOnlyOrphanedTemporaryFiles() throws {
        let fixture = try LedgerTests.Fixture()
        let stream = fixture.inbox.streamPath
        let outside = RawFile.bytes(fixture.inbox.directory.path + "/outside")
        RawFile.write(outside, RawFile.bytes("not ours"))
        RawFile.makeFolders(stream + RawFile.bytes("/a/b"))
        let orphans = [
            stream + RawFile.bytes("/.x.txt.stm.json.tmp-0123456789abcdef"),
            stream + RawFile.bytes("/a/b/.y\n.txt.stm.error.json.tmp-fedcba9876543210"),
        ]
        for orphan in orphans { RawFile.write(orphan, RawFile.bytes("{")) }
        let kept = [
            stream + RawFile.bytes("/.x.txt.swp"),
            stream + RawFile.bytes("/x.txt.stm.json.tmp-0123456789abcdef"),  // not hidden: a user's file
            stream + RawFile.bytes("/.x.txt.stm.json.tmp-0123456789ABCDEF"),  // not our digits
            RawFile.bytes(fixture.inbox.root + "/.z.stm.json.tmp-0123456789abcdef"),  // not in a stream
        ]
        for file in kept { RawFile.write(file, RawFile.bytes("user data")) }
        let link = stream + RawFile.bytes("/.l.stm.json.tmp-0123456789abcdef")
        RawFile.link(target: outside, at: link)
        RawFile.makeFolder(stream + RawFile.bytes("/.d.stm.json.tmp-0123456789abcdef"))
        // A committed output whose temporary file is recovered, not swept.
        let committed = try fixture.prepared("doc.txt")
        try fixture.ledger.commit([committed])

        let report = try Recovery(ledger: fixture.ledger, writer: fixture.writer).run(inboxRoots: [fixture.inbox.root])
        #expect(report.orphansDeleted == 2 && report.renamed == 1 && report.sweepProblems.isEmpty)
        for orphan in orphans { #expect(RawFile.read(orphan) == nil) }
        for file in kept { #expect(RawFile.read(file) == RawFile.bytes("user data")) }
        #expect(FileCalls.status(link).info != nil)
        #expect(RawFile.read(outside) == RawFile.bytes("not ours"))
        #expect(RawFile.read(committed.prepared.outputPath) == committed.prepared.json)
    }

    @Test func aRowWhoseFolderIsGoneIsAbandoned() throws {
        let fixture = try LedgerTests.Fixture()
        let output = try fixture.prepared("sub/doc.txt")
        try fixture.ledger.commit([output])
        let folder = output.prepared.folderPath
        RawFile.remove(output.prepared.temporaryPath)
        RawFile.remove(output.prepared.location.inputPath)
        _ = PathBytes.withCString(folder) { rmdir($0) }

        let report = try Recovery(ledger: fixture.ledger, writer: fixture.writer).run(inboxRoots: [fixture.inbox.root])
        #expect(report.abandoned == 1 && report.failures.isEmpty)
        let record = try #require(try fixture.ledger.lookup(output.prepared.location))
        #expect(record.status == .failed)
        #expect(record.lastError?.contains("input is gone") == true)
        #expect(RawFile.list(fixture.inbox.streamPath).isEmpty)
    }

    @Test func aRowThatCannotBePublishedStaysCommittedWithItsTemporaryFile() throws {
        let fixture = try LedgerTests.Fixture()
        let output = try fixture.prepared("doc.txt")
        try fixture.ledger.commit([output])
        // A non-empty folder sits where the output goes: the rename fails.
        let blocker = output.prepared.outputPath
        RawFile.makeFolder(blocker)
        RawFile.write(blocker + RawFile.bytes("/inside"), RawFile.bytes("x"))
        let recovery = Recovery(ledger: fixture.ledger, writer: fixture.writer)

        let report = try recovery.run(inboxRoots: [fixture.inbox.root])
        #expect(report.committed == 1 && report.failures.count == 1 && report.orphansDeleted == 0)
        #expect(report.failures[0].contains("doc.txt"))
        #expect(try fixture.ledger.lookup(output.prepared.location)?.status == .committed)
        #expect(RawFile.read(output.prepared.temporaryPath) == output.prepared.json)

        // Once the obstacle is gone, the next start finishes the job.
        RawFile.remove(blocker + RawFile.bytes("/inside"))
        _ = PathBytes.withCString(blocker) { rmdir($0) }
        let second = try recovery.run(inboxRoots: [fixture.inbox.root])
        #expect(second.renamed == 1 && second.failures.isEmpty)
        try Self.expectConsistent(fixture, [output], committed: true)
    }
}
