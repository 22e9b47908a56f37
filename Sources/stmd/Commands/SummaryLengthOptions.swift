import ArgumentParser
import STMTasks

/// `--sentences N | --ratio R`: the summary length; neither: the model's default ratio.
struct SummaryLengthOptions: ParsableArguments {
    @Option(help: "Keep this many sentences.")
    var sentences: Int?

    @Option(help: "Keep this share of the sentences (0 < R ≤ 1), rounded, at least one.")
    var ratio: Double?

    func validate() throws {
        if sentences != nil && ratio != nil { throw ValidationError("give --sentences or --ratio, not both") }
        if let sentences, sentences < 1 { throw ValidationError("--sentences must be at least 1") }
        if let ratio, !(ratio > 0 && ratio <= 1) { throw ValidationError("--ratio must be in (0, 1]") }
    }

    var length: SummaryLength? {
        if let sentences { return .sentences(sentences) }
        if let ratio { return .ratio(ratio) }
        return nil
    }
}

/// Loads a summarizer by name or folder, with the error naming what was searched.
func loadSummarizer(_ nameOrPath: String, search: ModelSearchOptions) throws -> Summarizer {
    do {
        return try Summarizer(directory: try search.locator.locate(nameOrPath))
    } catch {
        throw CommandFailure(error.description)
    }
}
