import ArgumentParser
import Foundation
import STMDaemon

/// `stmd status`: per stream, documents done / failed / queued, the rate and the last error — from the ledger
/// (readable while the daemon runs: WAL) and the daemon's status file.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show streams, documents done / failed / queued, docs/s and the last error.")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Flag(help: "One JSON object.")
    var json: Bool = false

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.fileExists(atPath: statePath + "/ledger.sqlite") else {
            throw CommandFailure("no ledger in \(statePath): has stmd run used this state folder? (--state DIR)")
        }
        let summaries: [StreamSummary]
        do {
            summaries = try Ledger(stateDirectory: statePath, mode: .readOnly).summary()
        } catch {
            throw CommandFailure(String(describing: error))
        }
        let live = DaemonStatus.read(fromStateDirectory: statePath)
        // The daemon rewrites status.json only when a figure changes, so its age says nothing; a crashed daemon's
        // file stays behind, but its lock does not.
        let lockHeld = (try? StateDirectory(path: statePath))?.lockIsHeld() ?? true
        let running = live.map { !$0.stopping && kill($0.pid, 0) == 0 && lockHeld } ?? false
        if json {
            var streams: [[String: Any]] = []
            for summary in summaries {
                var entry: [String: Any] = [
                    "stream": summary.stream, "root": summary.root, "done": summary.done, "failed": summary.failed,
                    "retrying": summary.retrying, "committed": summary.committed, "queued": live?.queued[summary.stream] ?? 0,
                    "docs_per_second_timing": Double(summary.recentlyPublished) / 60,
                ]
                if let error = summary.lastError { entry["last_error"] = error }
                streams.append(entry)
            }
            let object: [String: Any] = ["running": running, "pid": live.map { Int($0.pid) } ?? 0, "streams": streams]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(running ? "stmd is running (pid \(live!.pid)), \(live!.inProgress) documents in progress" : "stmd is not running")
        print("stream".padding(toLength: 16, withPad: " ", startingAt: 0) + "  done  failed  retrying  queued  docs/s  last error")
        for summary in summaries {
            let queued = live?.queued[summary.stream] ?? 0
            let rate = fixed(Double(summary.recentlyPublished) / 60, 1)
            print(
                summary.stream.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + "  \(pad(summary.done, 4))  \(pad(summary.failed, 6))  \(pad(summary.retrying, 8))  \(pad(queued, 6))  "
                    + rate.padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + (summary.lastError ?? "-"))
        }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
