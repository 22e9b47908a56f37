import ArgumentParser
import Foundation
import STMDaemon
import STMMemory
import STMTasks

/// `stmd annotate`: the annotation object (docs/ANNOTATION.md) of each file, one JSON line per file on stdout.
struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Print the annotation of each file (JSON Lines; '-' reads standard input).",
        discussion: "Default tasks: topic=topic-news, sentiment=sentiment-en. A file that cannot be read is reported on stderr; the others are still annotated and the exit status is 1."
    )

    @OptionGroup var search: ModelSearchOptions

    @Option(
        name: .customLong("task"),
        help: ArgumentHelp("A task as name=model (repeatable; replaces the default tasks).", valueName: "name=model"))
    var taskSpecifications: [String] = []

    @Option(help: ArgumentHelp(
        "Annotate in this stream's memory (files in the order given), adding a `memory` section.", valueName: "name"))
    var stream: String?

    @Option(help: ArgumentHelp(
        "With --stream: the state folder holding stream memory (default: $STATE_DIRECTORY, then ./.stmd).", valueName: "dir"))
    var state: String?

    @Flag(help: "With --stream: read the stream's memory without changing it (works while a daemon holds --state).")
    var readOnly: Bool = false

    @Option(help: ArgumentHelp("With --stream: take the [memory] settings from this stmd.toml.", valueName: "file"))
    var config: String?

    @Argument(help: ArgumentHelp("Files to annotate, or - for standard input.", valueName: "file"))
    var files: [String]

    static let defaultTasks = ["topic=topic-news", "sentiment=sentiment-en"]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file, or - for standard input") }
        if stream == nil && (state != nil || readOnly || config != nil) {
            throw ValidationError("--state, --read-only and --config go with --stream NAME")
        }
        for specification in taskSpecifications where Self.parseTask(specification) == nil {
            throw ValidationError("--task '\(specification)' is not name=model")
        }
    }

    static func parseTask(_ specification: String) -> (name: String, model: String)? {
        let parts = specification.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        _ = configureThreads()
        let specifications = (taskSpecifications.isEmpty ? Self.defaultTasks : taskSpecifications).compactMap(Self.parseTask)
        var tasks: [(name: String, model: TaskModel)] = []
        for (name, model) in specifications {
            do {
                tasks.append((name, try TaskModel.load(directory: try search.locator.locate(model))))
            } catch {
                throw CommandFailure(error.description)
            }
        }
        let annotator = DocumentAnnotator(models: tasks)
        let context = try streamContext()
        var failed = false
        var rawArguments = RawArguments()
        for file in files {
            let contents: [UInt8]
            let name: [UInt8]
            var modificationTime = Date().timeIntervalSince1970
            if file == "-" {
                contents = Array(FileHandle.standardInput.readDataToEndOfFile())
                name = Array("-".utf8)
            } else {
                let path = rawArguments.next(matching: file)
                guard let bytes = Self.readRegularFile(path, shown: file) else {
                    failed = true
                    continue
                }
                contents = bytes
                name = Array(path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).last ?? [])
                modificationTime = Self.modificationTime(path) ?? modificationTime
            }
            let annotation: Annotation
            if let context {
                annotation = try context.annotate(annotator, contents: contents, name: name, modificationTime: modificationTime)
            } else {
                annotation = annotator.annotate(contents: contents, name: name)
            }
            do {
                print(String(decoding: try annotation.encoded(), as: UTF8.self))
            } catch {
                printError("\(file): cannot encode the annotation: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    private func streamContext() throws -> StreamContext? {
        guard let stream else { return nil }
        var settings = MemorySettings()
        if let config {
            do {
                settings = try DaemonConfiguration.read(path: config).memory.settings
            } catch {
                throw CommandFailure(String(describing: error))
            }
        }
        let statePath = StateDirectory.resolve(explicit: state, environment: ProcessInfo.processInfo.environment)
        return try StreamContext.open(stream: stream, statePath: statePath, readOnly: readOnly, settings: settings)
    }

    static func modificationTime(_ path: [UInt8]) -> Double? {
        var status = stat()
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        guard lstat(cPath, &status) == 0 else { return nil }
        return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec / 1000) / 1e6
    }

    /// The file's bytes, or nil after saying why on stderr. Only regular files are opened (a FIFO would block).
    static func readRegularFile(_ path: [UInt8], shown: String) -> [UInt8]? {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        let descriptor = open(cPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            printError("\(shown): \(String(cString: strerror(errno)))")
            return nil
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            printError("\(shown): not a regular file")
            return nil
        }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                printError("\(shown): \(String(cString: strerror(errno)))")
                return nil
            }
            if count == 0 { return contents }
            contents += chunk[0..<count]
        }
    }
}

/// The command line's raw bytes, handed out in order: a file name that is not UTF-8 reaches `files` with U+FFFD
/// in it, and only the original bytes open the file. Each raw argument is used once, in command-line order, so
/// two names that decode alike (`f\xE9` and `f\xE8`) stay two files.
struct RawArguments {
    private var nextIndex = 1

    mutating func next(matching argument: String) -> [UInt8] {
        while nextIndex < Int(CommandLine.argc) {
            defer { nextIndex += 1 }
            guard let pointer = CommandLine.unsafeArgv[nextIndex] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
            if String(decoding: bytes, as: UTF8.self) == argument { return bytes }
        }
        return Array(argument.utf8)
    }
}
