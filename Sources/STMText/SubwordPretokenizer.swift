/// Cuts text into the pieces BPE merges within: runs of letters, runs of digits, and single other characters,
/// inside whitespace-separated chunks. The first piece of each chunk starts with `wordStart` (`▁`, as in
/// SentencePiece), so `"A dog."` becomes `["▁A", "▁dog", "."]` and joining the pieces with `▁` read as a
/// space gives the text back (with runs of whitespace as single spaces).
public enum SubwordPretokenizer {
    public static let wordStart: Character = "\u{2581}"

    public static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        for chunk in text.split(whereSeparator: \.isWhitespace) {
            var current = ""
            var currentKind = 0
            var first = true
            func flush() {
                guard !current.isEmpty else { return }
                pieces.append(first ? String(wordStart) + current : current)
                first = false
                current = ""
            }
            for character in chunk {
                let kind = character.isLetter ? 1 : character.isNumber ? 2 : 3
                if kind == 3 || kind != currentKind { flush() }
                current.append(character)
                currentKind = kind
            }
            flush()
        }
        return pieces
    }
}
