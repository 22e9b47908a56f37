import ArgumentParser

/// `stmd eval [task]`: scores a model on labelled data; `classify` is the default task.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a model on labelled data.",
        subcommands: [EvalClassifyCommand.self, EvalSummarizeCommand.self, EvalTranslateCommand.self, EvalLogsCommand.self, EvalTemplatesCommand.self, EvalStreamsCommand.self],
        defaultSubcommand: EvalClassifyCommand.self
    )
}
