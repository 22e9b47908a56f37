public import STMText

/// A document as the summarizer sees it: an optional title (never a candidate) and the candidate sentences.
public struct SummaryDocument: Sendable, Equatable {
    public var title: String?
    public var sentences: [String]

    public init(title: String?, sentences: [String]) {
        self.title = title
        self.sentences = sentences
    }

    /// Splits `text` into sentences. The first line is the title when `title` says so; with `.automatic` it is
    /// when it is followed by a blank line and ends without sentence punctuation (a BBC article's headline).
    public init(text: String, title: TitleRule = .automatic, splitter: SentenceSplitter = SentenceSplitter()) {
        var body = Substring(text)
        var heading: String?
        if let newline = text.firstIndex(of: "\n") {
            let first = text[..<newline].trimmingWhitespace()
            let rest = text[text.index(after: newline)...]
            let hasTitle: Bool
            switch title {
            case .firstLine: hasTitle = true
            case .none: hasTitle = false
            case .automatic:
                let blankFollows = rest.prefix { $0 != "\n" }.allSatisfy(\.isWhitespace) && rest.contains("\n")
                hasTitle = !first.isEmpty && blankFollows && !(first.last.map { ".!?".contains($0) } ?? false)
            }
            if hasTitle {
                heading = first.isEmpty ? nil : String(first)
                body = rest
            }
        } else if title == .firstLine {
            heading = String(text.trimmingWhitespace())
            body = ""
        }
        self.title = heading
        self.sentences = splitter.sentences(in: String(body)).map(\.text)
    }

    public enum TitleRule: String, Sendable, CaseIterable {
        case automatic, firstLine = "first-line", none
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return self[endIndex...] }
        let last = lastIndex { !$0.isWhitespace }!
        return self[first...last]
    }
}
