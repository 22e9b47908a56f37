import ArgumentParser
import Foundation
import Logging
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

    @Flag(help: "Log every document on stderr even when it is not a terminal (the journal always gets one entry per document), and debug details.")
    var verbose: Bool = false

    @Option(
        name: .customLong("log-target"),
        help: ArgumentHelp(
            "journal (structured entries through journald's native protocol), stderr, or auto: the journal when stderr is the journal stream systemd gave us.",
            valueName: "target"))
    var logTarget: LogTarget = .auto

    @OptionGroup var search: ModelSearchOptions

    func validate() throws {
        if inboxes.isEmpty { throw ValidationError("give at least one --inbox DIR") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        _ = configureThreads(reuseFreedMemory: false)
        Allocator.boundResidentMemory()
        let environment = ProcessInfo.processInfo.environment
        let (configuration, source): (DaemonConfiguration, String)
        let log = bootstrapLog()
        // The same reading at start and on SIGHUP: the file, then the command line's overrides, then validation.
        let reader: @Sendable () throws -> (DaemonConfiguration, String) = { [config, inboxes, poll, workers] in
            var (configuration, source) = try DaemonConfiguration.load(explicitPath: config, environment: environment)
            try configuration.validate(inboxRoots: inboxes)
            if poll { configuration.poll = true }
            if let workers { configuration.workers = workers }
            return (configuration, source)
        }
        do {
            (configuration, source) = try reader()
        } catch {
            throw CommandFailure(String(describing: error))
        }
        let statePath = state ?? configuration.stateDirectory ?? StateDirectory.resolve(explicit: nil, environment: environment)
        let setup = DaemonSetup(
            roots: inboxes, configuration: configuration, configurationSource: source, statePath: statePath,
            modelLocator: search.locator, version: StmdCommand.configuration.version, reloadConfiguration: reader)
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

    /// swift-log's handler for the whole process: journald entries or stderr lines (`--log-target`).
    private func bootstrapLog() -> DaemonLog {
        let level: Logger.Level = verbose ? .debug : .info
        let target = logTarget.resolved()
        LoggingSystem.bootstrap { _ in
            switch target {
            case .journal: return JournaldLogHandler(logLevel: level)
            default: return StderrLogHandler(logLevel: level, prefixesPriority: LogTarget.stderrWantsPriorityPrefix)
            }
        }
        var logger = Logger(label: "stmd")
        logger.logLevel = level
        // One line per document where someone reads it: the journal, --verbose, or a terminal (make demo).
        let perDocument = target == .journal || verbose || isatty(STDERR_FILENO) == 1
        return DaemonLog(logger: logger, documentLevel: perDocument ? .info : .debug)
    }
}
