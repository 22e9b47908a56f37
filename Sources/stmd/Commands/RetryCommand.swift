import ArgumentParser
import Foundation
import STMDaemon

/// `stmd retry`: re-queues failed documents; the running daemon takes them within a second.
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Re-queue failed documents (all, one stream's, or one file's).")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Argument(help: ArgumentHelp("A stream name or a file path; nothing: every failed document.", valueName: "stream|file"))
    var target: String?

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        do {
            let ledger = try Ledger(stateDirectory: statePath)
            var failed = try ledger.failedDocuments()
            if let target {
                let byStream = failed.filter { $0.location.stream == target }
                if !byStream.isEmpty {
                    failed = byStream
                } else {
                    let real = URL(fileURLWithPath: target).standardizedFileURL.path
                    failed = failed.filter {
                        let path = String(decoding: $0.location.inputPath, as: UTF8.self)
                        return path == target || URL(fileURLWithPath: path).standardizedFileURL.path == real
                    }
                }
                if failed.isEmpty { throw CommandFailure("no failed document matches '\(target)' (a stream name or a file path)") }
            }
            let count = try ledger.requeue(failed.map(\.id))
            print("\(count) document(s) re-queued")
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }
}
