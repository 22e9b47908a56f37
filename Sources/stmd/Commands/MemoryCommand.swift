import ArgumentParser
import Foundation
import STMDaemon
import STMMemory

/// `stmd memory show|reset STREAM`: a stream's short-term memory, read from (or reset in) the state folder's
/// database — usable while the daemon runs (WAL); the daemon notices a reset before its next document.
struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Show or reset a stream's short-term memory.",
        subcommands: [MemoryShowCommand.self, MemoryResetCommand.self])
}

struct MemoryShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A stream's state, window and statistics (no stream: every stream with memory).")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Flag(help: "One JSON object.")
    var json: Bool = false

    @Option(help: ArgumentHelp(
        "The daemon's configuration, for the drift threshold the levels are shown against (default: looked up as stmd run does).",
        valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp(
        "Sentences in the stream's rolling digest (from the window documents' summaries, when a summary task runs).",
        valueName: "n"))
    var digest: Int = 5

    func validate() throws {
        if digest < 1 { throw ValidationError("--digest must be at least 1") }
    }

    @Argument(help: ArgumentHelp("The stream (folder) name.", valueName: "stream"))
    var stream: String?

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.fileExists(atPath: statePath + "/" + Ledger.fileName) else {
            throw CommandFailure("no ledger in \(statePath): has stmd run used this state folder? (--state DIR)")
        }
        do {
            let ledger = try Ledger(stateDirectory: statePath, mode: .readOnly)
            guard let stream else {
                let streams = try ledger.memoryStreams()
                if json {
                    try printJSON([
                        "streams": streams.map {
                            ["stream": $0.stream, "documents": $0.documents, "window": $0.window] as [String: Any]
                        }
                    ])
                } else {
                    for entry in streams { print("\(entry.stream): \(entry.documents) documents, \(entry.window) in the window") }
                }
                return
            }
            guard let stored = try ledger.loadMemory(stream: stream) else {
                throw CommandFailure("stream '\(stream)' has no memory in \(statePath) (no document counted yet)")
            }
            let settings = try DaemonConfiguration.load(explicitPath: config, environment: ProcessInfo.processInfo.environment)
                .0.memory.settings
            let summary = MemorySummary(stream: stream, stored: stored, settings: settings, digestSentences: digest)
            if json {
                try printJSON(summary.object)
            } else {
                print(summary.text)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }
}

struct MemoryResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Empty a stream's memory (the running daemon starts it afresh at its next document).")

    @Option(help: ArgumentHelp("State folder (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Argument(help: ArgumentHelp("The stream (folder) name.", valueName: "stream"))
    var stream: String

    func run() throws {
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.fileExists(atPath: statePath + "/" + Ledger.fileName) else {
            throw CommandFailure("no ledger in \(statePath): has stmd run used this state folder? (--state DIR)")
        }
        do {
            let previous = try Ledger(stateDirectory: statePath).resetMemory(stream: stream)
            print("\(stream): memory reset (\(previous) document(s) forgotten)")
        } catch {
            throw CommandFailure(String(describing: error))
        }
    }
}

func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
