import ArgumentParser
import STMTensor

#if canImport(Glibc)
import Glibc
#endif

/// `stmd`: the short-term memory daemon and its tools.
@main
struct StmdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stmd",
        abstract: "Turns folders into intelligent inboxes with small recurrent networks.",
        version: "0.1.0",
        subcommands: [RunCommand.self, StatusCommand.self, RetryCommand.self, LogsCommand.self, MemoryCommand.self, AnnotateCommand.self, SummarizeCommand.self, TranslateCommand.self, TrainCommand.self, EvalCommand.self, ModelsCommand.self, DemoCommand.self]
    )
}

/// Process set-up before any numeric work: allocator settings and `STMD_THREADS` (the kernels' pool size).
/// `reuseFreedMemory` keeps freed memory mapped for reuse — right for training's large per-step buffers, wrong
/// for the long-running daemon, whose resident memory should shrink back after start-up.
func configureThreads(reuseFreedMemory: Bool = true) -> Int {
    var environment: [String: String] = [:]
    if let value = getenv("STMD_THREADS") { environment["STMD_THREADS"] = String(cString: value) }
    if reuseFreedMemory { Allocator.reuseFreedMemory() }
    return BLAS.configureThreadsFromEnvironment(environment)
}
