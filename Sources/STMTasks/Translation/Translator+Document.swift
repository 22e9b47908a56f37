import STMText

extension Translator {
    /// A whole document's translation, as the daemon writes it into an annotation.
    public struct DocumentTranslation: Sendable, Equatable {
        /// The translated text: one line per input line (empty lines kept), each line's sentences translated one by
        /// one and joined with single spaces.
        public var text: String
        /// Sentences translated.
        public var sentences: Int
        /// Whether the document had more sentences than the limit (the rest is not translated).
        public var truncated: Bool
    }

    /// Translates `text` line by line, sentence by sentence, stopping after `maximumSentences` sentences. Line
    /// structure is kept so that a reader can line the translation up with the original.
    public func translate(document text: String, beamWidth: Int? = nil, maximumSentences: Int) -> DocumentTranslation {
        let splitter = SentenceSplitter()
        var lines: [String] = []
        var translated = 0
        var truncated = false
        // "\r\n" is one Character in Swift: split on both kinds of line break.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let sentences = splitter.sentences(in: String(line)).map(\.text).filter { !$0.allSatisfy(\.isWhitespace) }
            var parts: [String] = []
            for sentence in sentences {
                guard translated < maximumSentences else {
                    truncated = true
                    break
                }
                translated += 1
                let output = translate(sentence: sentence, beamWidth: beamWidth)
                if !output.isEmpty { parts.append(output) }
            }
            lines.append(parts.joined(separator: " "))
            if truncated { break }
        }
        while lines.last == "" { lines.removeLast() }
        return DocumentTranslation(text: lines.joined(separator: "\n"), sentences: translated, truncated: truncated)
    }
}
