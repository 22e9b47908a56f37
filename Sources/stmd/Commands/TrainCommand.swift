import ArgumentParser

/// `stmd train <task>`: trains a model bundle from labelled data.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model bundle.",
        subcommands: [TrainClassifyCommand.self, TrainSummarizeCommand.self, TrainTranslateCommand.self, TrainLogsCommand.self, TrainContextCommand.self]
    )
}
