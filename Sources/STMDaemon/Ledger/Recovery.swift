public import Foundation
import Glibc

/// Finishes, at start-up, whatever a crash interrupted (see the protocol on `Ledger`).
///
/// For every `committed` row: rename its temporary file if it is still there with the stored bytes; else
/// keep a final output that already holds them; else write the output again, atomically, from the stored
/// JSON. Then the row is marked. Finally every orphaned temporary file in the stream folders (and the output
/// root) is deleted. Running it twice does nothing the second time.
///
/// Run it after taking the state-directory lock and before the watcher and pipeline start: the sweep
/// deletes every temporary file not recorded in the ledger, which would include those of a running pipeline.
public struct Recovery: Sendable {
    public let ledger: Ledger
    public let writer: OutputWriter

    public init(ledger: Ledger, writer: OutputWriter) {
        self.ledger = ledger
        self.writer = writer
    }

    /// Recovers every committed row, then sweeps the streams of `inboxRoots` (and the output root).
    ///
    /// - Throws: only `LedgerError`; a row whose output cannot be written is reported and left `committed`.
    public func run(inboxRoots: [String], now: Date = Date()) throws -> RecoveryReport {
        var report = RecoveryReport()
        var sweeper = TemporaryFileSweeper()
        let rows = try ledger.committedRecords()
        report.committed = rows.count
        for row in rows {
            do {
                try recoverOrAbandon(row, report: &report, now: now)
            } catch let error as OutputError {
                report.failures.append("\(PathBytes.render(row.location.inputPath)): \(error)")
                if let temporary = row.temporaryPath { sweeper.keeping.insert(temporary) }
            }
        }
        for root in inboxRoots { sweeper.sweepStreams(of: Array(root.utf8)) }
        if case .outputRoot(let root) = writer.destination { sweeper.sweepStreams(of: Array(root.utf8)) }
        report.orphansDeleted = sweeper.deleted
        report.sweepProblems = sweeper.problems
        return report
    }

    /// One committed row: published (renamed, kept, or written again from the stored JSON) and marked; or, when
    /// that fails and its input is gone, marked failed. Also what the group commit runs for an output whose
    /// temporary file could not be made durable or renamed.
    ///
    /// - Throws: `OutputError` when the output could not be published and the input is still there (try later);
    ///   `LedgerError`.
    func recoverOrAbandon(_ row: LedgerRecord, report: inout RecoveryReport, now: Date) throws {
        do {
            try recover(row, report: &report, now: now)
        } catch let error as OutputError {
            guard Ledger.inputIsGone(row.location) else { throw error }
            try ledger.abandon(row.token, reason: "output not published, and its input is gone: \(error)", now: now)
            report.abandoned += 1
        }
    }

    private func recover(_ row: LedgerRecord, report: inout RecoveryReport, now: Date) throws {
        // The schema's CHECK guarantees both for a committed row.
        guard let kind = row.outputKind, let json = row.outputJSON else { return }
        let target = try writer.target(for: row.location, kind: kind)
        let folder = try target.openFolder()
        defer { FileCalls.close(folder) }

        // The temporary file can be renamed only if it is in the output's folder; after a change of output
        // destination it is elsewhere, and is removed.
        var temporaryName: [UInt8]?
        if let stored = row.temporaryPath {
            let (directory, name) = PathBytes.split(stored)
            if OutputNaming.isTemporaryName(name) {
                if directory == target.directory {
                    temporaryName = name
                } else {
                    FileCalls.unlink(stored, in: AT_FDCWD)  // Best effort: it is not where outputs go now.
                }
            }
        }
        if let name = temporaryName,
            try writer.readRegularFile(name, in: folder, path: PathBytes.join([target.directory, name])) == json
        {
            try FileCalls.rename(name, to: target.outputName, in: folder, path: target.outputPath)
            try writer.finishPublishing(in: folder, target: target, kind: kind)
            report.renamed += 1
        } else {
            if let name = temporaryName { FileCalls.unlink(name, in: folder) }  // Missing, or not what was committed.
            if try writer.readRegularFile(target.outputName, in: folder, path: target.outputPath) == json {
                try writer.finishPublishing(in: folder, target: target, kind: kind)
                report.alreadyPublished += 1
            } else {
                try writer.publish(writer.prepare(json: json, for: row.location, kind: kind))
                report.rewritten += 1
            }
        }
        _ = try ledger.markRecovered(row.token, outputPath: target.outputPath, now: now)
    }
}
