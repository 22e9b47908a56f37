import ArgumentParser
import Foundation
import STMDaemon

/// `stmd logs`: the journal monitor's streams, and operator feedback on its alerts.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Journal monitoring: log streams and feedback on unusual-line alerts.",
        subcommands: [LogsStreamsCommand.self, LogsMarkNormalCommand.self], defaultSubcommand: LogsStreamsCommand.self)
}

/// `stmd logs streams`: each followed log stream with its lines and alerts so far.
struct LogsStreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "streams", abstract: "List the log streams followed so far.")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        do {
            let ledger = try Ledger(stateDirectory: statePath, mode: .readOnly)
            let streams = try ledger.logStreams()
            if streams.isEmpty { print("no log stream yet (configure [[journal]] sources; see etc/stmd/stmd.toml)") }
            for stream in streams { print("\(stream.stream)\t\(stream.lines) lines\t\(stream.anomalies) unusual") }
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }
}

/// `stmd logs mark-normal CURSOR`: an alert was a false positive; the stream's detector retrains on that line.
struct LogsMarkNormalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark-normal",
        abstract: "Tell the detector that an alerted line was normal (the running daemon retrains within a second).",
        discussion: "CURSOR is the alert's STM_SOURCE_CURSOR (journalctl -u stmd STM_ANOMALY=1 -o json) or the cursor in <state>/anomalies/<stream>.jsonl.")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Argument(help: ArgumentHelp("The journal cursor of the alerted line.", valueName: "cursor"))
    var cursor: String

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        do {
            let ledger = try Ledger(stateDirectory: statePath)
            guard let alert = try ledger.markNormal(cursor: cursor) else {
                throw CommandFailure("no alert has the cursor \(cursor) in \(statePath) (stmd logs streams lists the streams)")
            }
            print("marked normal: stream \(alert.stream), template #\(alert.templateId); the daemon retrains on it")
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }
}
