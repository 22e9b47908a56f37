import ArgumentParser
import Foundation
import STMDaemon
import STMTasks
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

/// `stmd run`: the daemon, in the foreground (systemd runs it the same way).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Watch inbox folders and annotate every document dropped into their streams.",
        discussion: """
            Every first-level folder of an inbox is a stream. A document written, moved or copied into a stream gets \
            <name>.stm.json beside it (docs/ANNOTATION.md). Stops cleanly on SIGTERM or SIGINT (Ctrl-C).
            """
    )

    @Option(name: .customLong("inbox"), help: ArgumentHelp("An inbox root (repeatable).", valueName: "dir"))
    var inboxes: [String] = []

    @Option(help: ArgumentHelp("Configuration file (default: $CONFIGURATION_DIRECTORY/stmd.toml, then /etc/stmd/stmd.toml, then built-in defaults).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("State folder: ledger and status (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Flag(help: "Poll every inbox instead of using inotify.")
    var poll: Bool = false

    @Option(help: "Worker threads (default: the configuration's, which defaults to the number of CPUs).")
    var workers: Int?

    @Flag(help: "Log every document, not only problems and stream changes.")
    var verbose: Bool = false

    @OptionGroup var search: ModelSearchOptions

    func validate() throws {
        if inboxes.isEmpty { throw ValidationError("give at least one --inbox DIR") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        _ = configureThreads(reuseFreedMemory: false)
        Allocator.boundResidentMemory()
        let environment = ProcessInfo.processInfo.environment
        var (configuration, source): (DaemonConfiguration, String)
        do {
            (configuration, source) = try DaemonConfiguration.load(explicitPath: config, environment: environment)
        } catch {
            throw CommandFailure(error.description)
        }
        do {
            try configuration.validate(inboxRoots: inboxes)
        } catch {
            throw CommandFailure(error.description)
        }
        if poll { configuration.poll = true }
        if let workers { configuration.workers = workers }
        let statePath = state ?? configuration.stateDirectory ?? StateDirectory.resolve(explicit: nil, environment: environment)
        let setup = DaemonSetup(
            roots: inboxes, configuration: configuration, configurationSource: source, statePath: statePath,
            modelLocator: search.locator, version: StmdCommand.configuration.version)
        let log = DaemonLog(threshold: verbose ? .debug : .info)
        let daemon: Daemon
        do {
            daemon = try Daemon(setup: setup, log: log)
        } catch {
            throw CommandFailure(String(describing: error))
        }
        // Start-up read whole model files and decoded them; hand those pages back before the long run.
        Allocator.releaseFreeMemory()
        let status = await daemon.run()
        if status != 0 { throw ExitCode(status) }
    }
}
