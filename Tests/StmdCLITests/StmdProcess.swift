import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished `stmd` run left behind: exit status, and stdout and stderr captured separately.
struct ProcessResult: Sendable, CustomStringConvertible {
    var command: String
    /// The exit status, or the signal number when `signalled`.
    var status: Int32
    var signalled: Bool
    var stdoutData: Data
    var stderrData: Data

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    /// Non-empty stdout lines (JSON Lines output has one per document).
    var stdoutLines: [Substring] { stdout.split(separator: "\n") }
    var exitedCleanly: Bool { !signalled && status == 0 }

    var description: String {
        "`\(command)` → \(signalled ? "signal" : "status") \(status)\n"
            + "--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

enum StmdProcessError: Error, CustomStringConvertible {
    case binaryMissing(searched: [String])
    case timedOut(command: String, seconds: Double, stdout: String, stderr: String)

    var description: String {
        switch self {
        case .binaryMissing(let searched):
            "the stmd executable is not built next to the test bundle "
                + "(looked for: \(searched.joined(separator: ", "))); build it with `swift build --build-tests` "
                + "(with the tests' --scratch-path, if any) before `swift test`"
        case .timedOut(let command, let seconds, let stdout, let stderr):
            "`\(command)` did not finish within \(seconds) s and was killed\n"
                + "--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
        }
    }
}

/// The built `stmd` executable: the products folder holding the running test bundle also holds `stmd`
/// (`.build/debug/` for a plain `swift build --build-tests`, `<scratch>/debug/` with `--scratch-path`).
enum StmdBinary {
    static let path: Result<String, StmdProcessError> = {
        var folders: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path)
        }
        // macOS runs tests inside `xctest`: the bundle, not the process, sits in the products folder.
        for bundle in [Bundle.main] + Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent().path)
        }
        folders.append(Bundle.main.bundleURL.path)
        var seen = Set<String>()
        let candidates = folders.filter { seen.insert($0).inserted }.map { $0 + "/stmd" }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return .success(found)
        }
        return .failure(.binaryMissing(searched: candidates))
    }()

    static func resolved() throws -> String { try path.get() }
}

/// A running child process whose stdout and stderr are read on their own threads as they arrive, so a test can
/// wait for a line on stderr (with a deadline) while the child goes on, signal it, and collect its exit.
///
/// `@unchecked Sendable`: every mutable field is read and written only while holding `condition`.
final class RunningProcess: @unchecked Sendable {
    let command: String
    private let process = Process()
    /// The child's process id (for reading its `/proc` entry).
    var processIdentifier: pid_t { process.processIdentifier }
    private let condition = NSCondition()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var openStreams = 2
    private var exited = false

    /// Starts `executable` with `arguments`. `environment` replaces the child's environment; `input` is written to
    /// its stdin, which is then closed (without it, stdin is /dev/null).
    init(
        executable: String, arguments: [String], environment: [String: String], directory: String, input: Data? = nil
    ) throws {
        command = ([executable] + arguments).joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.terminationHandler = { [condition] _ in
            condition.lock()
            self.exited = true
            condition.broadcast()
            condition.unlock()
        }
        try Self.runWithEmptySignalMask(process)
        startReading(stdout.fileHandleForReading, isStdout: true)
        startReading(stderr.fileHandleForReading, isStdout: false)
        if let stdin, let input {
            let writer = stdin.fileHandleForWriting
            Thread {
                // Best effort: a child that exits without reading its input closes the pipe (EPIPE).
                try? writer.write(contentsOf: input)
                try? writer.close()
            }.start()
        }
    }

    /// Starts `process` from a new thread that blocks no signals. A child inherits the blocked-signal mask of the
    /// thread that spawns it, and the threads tests run on block most signals (SIGINT and SIGTERM among them):
    /// spawned from there, `stmd` would never see the SIGTERM a test sends it.
    private static func runWithEmptySignalMask(_ process: Process) throws {
        let outcome = SpawnOutcome()
        Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try process.run() } catch { outcome.error = error }
            outcome.done.signal()
        }.start()
        outcome.done.wait()
        if let error = outcome.error { throw error }
    }

    /// `@unchecked Sendable`: `error` is written before `done.signal()` and read after `done.wait()`.
    private final class SpawnOutcome: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var error: (any Error)?
    }

    private func startReading(_ handle: FileHandle, isStdout: Bool) {
        Thread { [condition] in
            // read(2), not FileHandle.read(upToCount:), which waits for the whole count or the end of the stream.
            let descriptor = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                condition.lock()
                if isStdout { self.stdoutData += buffer[..<count] } else { self.stderrData += buffer[..<count] }
                condition.broadcast()
                condition.unlock()
            }
            try? handle.close()  // best effort: the stream has ended either way
            condition.lock()
            self.openStreams -= 1
            condition.broadcast()
            condition.unlock()
        }.start()
    }

    /// Waits until `predicate(stderr so far)` holds, or the process has exited and closed its output, or the deadline
    /// passes. Returns whether the predicate held.
    func waitForStderr(timeout: Double, until predicate: (String) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if predicate(String(decoding: stderrData, as: UTF8.self)) { return true }
            if exited && openStreams == 0 { return false }
            if !condition.wait(until: deadline) { return predicate(String(decoding: stderrData, as: UTF8.self)) }
        }
    }

    /// Signals the child if it is still running (once reaped, its process ID may belong to another process).
    func send(signal number: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if !exited { kill(process.processIdentifier, number) }
    }

    /// Waits for the exit and the end of both streams; past the deadline the child is killed and this throws.
    func waitForExit(timeout: Double) throws -> ProcessResult {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        while !(exited && openStreams == 0) {
            if !condition.wait(until: deadline) && Date() >= deadline { break }
        }
        let finished = exited && openStreams == 0
        let (stdout, stderr) = (stdoutData, stderrData)
        condition.unlock()
        guard finished else {
            kill(process.processIdentifier, SIGKILL)
            throw StmdProcessError.timedOut(
                command: command, seconds: timeout, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: stderr, as: UTF8.self))
        }
        process.waitUntilExit()  // already exited: returns at once, and makes the status readable
        return ProcessResult(
            command: command, status: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal,
            stdoutData: stdout, stderrData: stderr)
    }
}

/// How the tests run `stmd`: the real binary, a clean environment (one kernel thread, no `STMD_MODELS` unless
/// given), a working directory of the test's choosing and a deadline.
enum Stmd {
    /// Long enough for a loaded two-core machine; only a hung process gets near it.
    static let defaultTimeout = 60.0

    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["STMD_MODELS"] = nil
        environment["STMD_THREADS"] = "1"
        environment.merge(extra) { $1 }
        return environment
    }

    static func start(
        _ arguments: [String], in directory: String, environment extra: [String: String] = [:], input: Data? = nil
    ) throws -> RunningProcess {
        try RunningProcess(
            executable: try StmdBinary.resolved(), arguments: arguments, environment: environment(extra),
            directory: directory, input: input)
    }

    /// Runs `stmd arguments` to completion on a thread of its own (the wait blocks, the test's task does not).
    static func run(
        _ arguments: [String], in directory: String, environment extra: [String: String] = [:], input: Data? = nil,
        timeout: Double = defaultTimeout
    ) async throws -> ProcessResult {
        let running = try start(arguments, in: directory, environment: extra, input: input)
        return try await waitOffThePool(running, timeout: timeout)
    }

    /// Runs `stmd` with arguments given as raw bytes (file names that are not UTF-8, which `Process` cannot pass):
    /// through `/bin/sh`, every byte written as a `printf` octal escape.
    static func run(
        rawArguments: [[UInt8]], in directory: String, environment extra: [String: String] = [:],
        timeout: Double = defaultTimeout
    ) async throws -> ProcessResult {
        let words = rawArguments.map { bytes in
            "\"$(printf '" + bytes.map { "\\" + String($0, radix: 8) }.joined() + "')\""
        }
        let script = "exec \"$0\" " + words.joined(separator: " ")
        let running = try RunningProcess(
            executable: "/bin/sh", arguments: ["-c", script, try StmdBinary.resolved()],
            environment: environment(extra),
            directory: directory)
        return try await waitOffThePool(running, timeout: timeout)
    }

    static func waitOffThePool(_ running: RunningProcess, timeout: Double) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try running.waitForExit(timeout: timeout) })
            }.start()
        }
    }
}
