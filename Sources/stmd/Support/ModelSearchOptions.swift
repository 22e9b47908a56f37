import ArgumentParser
import Foundation
import STMTasks

/// `--models DIR` (repeatable): folders searched first for model names, before `$STMD_MODELS`, the
/// repository's `Models/` and `<prefix>/share/stmd/models`.
struct ModelSearchOptions: ParsableArguments {
    @Option(name: .customLong("models"), help: ArgumentHelp("A folder of model bundles, searched first (repeatable).", valueName: "dir"))
    var folders: [String] = []

    var locator: ModelLocator {
        ModelLocator.standard(
            explicitFolders: folders, environment: ProcessInfo.processInfo.environment,
            executablePath: Self.executablePath)
    }

    /// The running executable's path (`/proc/self/exe`: the real file, whatever the working directory).
    static var executablePath: String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
    }
}
