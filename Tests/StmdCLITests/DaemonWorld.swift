import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A folder removed when the last reference goes (like `TemporaryDirectory`, under a base of our choosing).
final class ScratchFolder: Sendable {
    let path: String

    init(base: String, prefix: String) throws {
        path = base + "/" + prefix + "-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // Best effort: a leftover temporary folder must not fail a test that passed.
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// How a daemon test watches its inbox.
enum WatchMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inotify
    case poll

    var testDescription: String { rawValue }

    /// Settings for the configuration: a polled inbox is listed every 200 ms (the default, 1 s, would only
    /// make the tests slower; the settle delay keeps its default of 300 ms).
    var settings: String { self == .poll ? "poll_interval = \"200ms\"\n" : "" }
}

/// One daemon test's world: an inbox root with stream folders, a state folder, a folder outside the inbox
/// (rename sources, link targets, the hold file of the fault hook) and a configuration whose only task is
/// `topic`, run by the suite's tiny model.
final class DaemonWorld: Sendable {
    let fixture: CLIFixture
    let base: String
    let inbox: String
    let state: String
    let outside: String
    let configPath: String
    private let folder: ScratchFolder?

    /// `settings` go before the `[defaults]` table (top-level keys), `tables` after it (`[retry]`, `[streams.x]`).
    /// `memoryBacked` puts the world on /dev/shm when it is there (for tests whose subject is not the disk).
    init(
        _ name: String, streams: [String] = [], settings: String = "", tables: String = "", memoryBacked: Bool = false
    ) throws {
        fixture = try CLIFixture.shared()
        try #require(fixture.training.exitedCleanly, "training the shared model failed: \(fixture.training)")
        if memoryBacked, FileManager.default.isWritableFile(atPath: "/dev/shm") {
            let scratch = try ScratchFolder(base: "/dev/shm", prefix: "stmd-daemon-\(name)")
            folder = scratch
            base = scratch.path
        } else {
            folder = nil
            base = try fixture.scratch("daemon-" + name)
        }
        inbox = base + "/inbox"
        state = base + "/state"
        outside = base + "/outside"
        configPath = base + "/stmd.toml"
        for path in [inbox, outside] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        for stream in streams { try RawFS.makeDirectory(inbox + "/" + stream) }
        let configuration =
            settings + "\n[defaults]\ntasks = { topic = \"\(fixture.modelName)\" }\n"
            + (tables.isEmpty ? "" : "\n" + tables)
        try RawFS.write(configuration, to: configPath)
    }

    func stream(_ name: String) -> String { inbox + "/" + name }
    func path(_ stream: String, _ relative: String) -> String { inbox + "/" + stream + "/" + relative }
    func bytes(_ stream: String, _ relative: String) -> [UInt8] { Array(path(stream, relative).utf8) }

    /// The user a daemon runs as: the test's own, or (to see permissions as a normal user would when the tests
    /// run as root) `nobody` through `setpriv`.
    enum User: Sendable { case current, nobody }

    /// `stmd run` on this world's inbox and state, with the tiny model (or, with `shippedModels`, no configuration
    /// and no `--models`: the built-in defaults and the repository's `Models/`). Returns once it has started;
    /// `waitUntilReady` waits for the watches.
    func start(
        poll: Bool = false, faults: String? = nil, verbose: Bool = false, shippedModels: Bool = false,
        extra: [String] = [], user: User = .current, environment: [String: String] = [:]
    ) throws -> DaemonProcess {
        var arguments = ["run", "--inbox", inbox, "--state", state]
        if !shippedModels { arguments += ["--config", configPath, "--models", fixture.models] }
        if poll { arguments.append("--poll") }
        if verbose { arguments.append("--verbose") }
        arguments += extra
        return try DaemonProcess(arguments, in: base, faults: faults, user: user, environment: environment)
    }

    /// `stmd status --json` of this world's state: the streams by name.
    func status(user: User = .current) async throws -> (running: Bool, streams: [String: [String: Any]]) {
        let result = try await DaemonProcess.runStmd(["status", "--json", "--state", state], in: base, user: user)
        try #require(result.exitedCleanly, "\(result)")
        let object = try JSON.object(result.stdout)
        var streams: [String: [String: Any]] = [:]
        for entry in object["streams"] as? [[String: Any]] ?? [] {
            if let name = entry["stream"] as? String { streams[name] = entry }
        }
        return (object["running"] as? Bool ?? false, streams)
    }

    /// `stmd status --json` until `condition` holds of the streams or `timeout` passes: the ledger marks a document
    /// `done` or `failed` just after its output is renamed into place, and `retrying` just after the log line says so.
    /// Returns whether it held, and the streams last read.
    func status(
        until condition: ([String: [String: Any]]) -> Bool, timeout: Double = 5, user: User = .current
    ) async throws -> (held: Bool, streams: [String: [String: Any]]) {
        var streams: [String: [String: Any]] = [:]
        let held = try await eventuallyAsync(timeout: timeout, interval: .milliseconds(50)) {
            streams = try await status(user: user).streams
            return condition(streams)
        }
        return (held, streams)
    }

    /// Files the test writes, recorded so `inputs.expectUnchanged()` can show the daemon never changed them.
    func write(_ text: String, _ stream: String, _ relative: String, into inputs: inout InputLedger) throws -> [UInt8] {
        let path = bytes(stream, relative)
        try RawFS.write(Array(text.utf8), to: path)
        inputs.record(path)
        return path
    }
}

/// A running `stmd run`. Killed (SIGKILL) when dropped while still running, so a failing test leaves no daemon.
final class DaemonProcess: Sendable {
    let process: RunningProcess

    static let nobody = (uid: 65534, gid: 65534)

    init(
        _ arguments: [String], in directory: String, faults: String?, user: DaemonWorld.User, environment extra: [String: String] = [:]
    ) throws {
        var environment = Stmd.environment()
        for key in [
            "CONFIGURATION_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "STMD_FAULTS", "NOTIFY_SOCKET", "WATCHDOG_USEC",
            "WATCHDOG_PID",
        ] {
            environment[key] = nil
        }
        if let faults { environment["STMD_FAULTS"] = faults }
        environment.merge(extra) { _, new in new }
        let (executable, fullArguments) = try Self.command(arguments, user: user)
        process = try RunningProcess(
            executable: executable, arguments: fullArguments, environment: environment, directory: directory)
    }

    deinit {
        process.send(signal: SIGKILL)
    }

    static func command(_ arguments: [String], user: DaemonWorld.User) throws -> (String, [String]) {
        let stmd = try StmdBinary.resolved()
        switch user {
        case .current:
            return (stmd, arguments)
        case .nobody:
            let setpriv = try #require(findTool("setpriv"), "setpriv (util-linux) is needed to run stmd as nobody")
            return (
                setpriv,
                ["--reuid=\(nobody.uid)", "--regid=\(nobody.gid)", "--clear-groups", "--", stmd] + arguments
            )
        }
    }

    /// A one-shot `stmd` command (`status`, `retry`) as `user`.
    static func runStmd(_ arguments: [String], in directory: String, user: DaemonWorld.User = .current) async throws
        -> ProcessResult
    {
        let (executable, fullArguments) = try command(arguments, user: user)
        var environment = Stmd.environment()
        environment["STATE_DIRECTORY"] = nil
        let running = try RunningProcess(
            executable: executable, arguments: fullArguments, environment: environment, directory: directory)
        return try await Stmd.waitOffThePool(running, timeout: Stmd.defaultTimeout)
    }

    /// stderr so far.
    var log: String {
        var text = ""
        _ = process.waitForStderr(timeout: 0) {
            text = $0
            return true
        }
        return text
    }

    /// Waits (off the cooperative pool) until stderr satisfies `predicate`, the daemon exits, or the deadline.
    func waitForLog(timeout: Double = 20, _ predicate: @escaping @Sendable (String) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { [process] in
                continuation.resume(returning: process.waitForStderr(timeout: timeout, until: predicate))
            }.start()
        }
    }

    func waitForLog(_ text: String, timeout: Double = 20) async -> Bool {
        await waitForLog(timeout: timeout) { $0.contains(text) }
    }

    /// The catch-up scan has announced every stream: the watches were in place before it began.
    func waitUntilReady(streams: [String], timeout: Double = 20) async -> Bool {
        await waitForLog(timeout: timeout) { log in streams.allSatisfy { log.contains("info: stream \($0) (") } }
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit; returns it and how long it took.
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 20) async throws -> (result: ProcessResult, seconds: Double)
    {
        let start = ContinuousClock.now
        process.send(signal: signal)
        let result = try await Stmd.waitOffThePool(process, timeout: timeout)
        let elapsed = ContinuousClock.now - start
        return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// SIGKILL: the crash.
    func kill() async throws -> ProcessResult {
        try await stop(SIGKILL).result
    }

    /// The exit of a daemon expected to stop by itself (a start-up error).
    func exit(timeout: Double = 20) async throws -> ProcessResult {
        try await Stmd.waitOffThePool(process, timeout: timeout)
    }
}
