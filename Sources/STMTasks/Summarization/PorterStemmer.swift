/// The Porter stemmer (Porter 1980) with NLTK's extensions (`nltk.stem.porter.PorterStemmer()`'s default mode),
/// which is what `rouge-score` applies with `use_stemmer=True`; ROUGE numbers only agree with the published
/// scorer if the stems do. Input: one lower-case ASCII word.
public struct PorterStemmer: Sendable {
    public init() {}

    /// NLTK's irregular forms, looked up before any rule.
    static let irregular: [String: String] = [
        "skies": "sky", "sky": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
        "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing", "cannings": "canning",
        "canning": "canning", "howe": "howe", "proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
    ]

    public func stem(_ word: String) -> String {
        if let form = Self.irregular[word] { return form }
        if word.utf8.count <= 2 { return word }
        var w = Array(word.utf8)
        w = step1a(w)
        w = step1b(w)
        w = step1c(w)
        w = step2(w)
        w = step3(w)
        w = step4(w)
        w = step5a(w)
        w = step5b(w)
        return String(decoding: w, as: UTF8.self)
    }

    typealias Word = [UInt8]
    typealias Rule = (suffix: String, replacement: String, condition: ((Word) -> Bool)?)

    private static let vowels: Set<UInt8> = Set("aeiou".utf8)

    func isConsonant(_ w: Word, _ i: Int) -> Bool {
        if Self.vowels.contains(w[i]) { return false }
        if w[i] == UInt8(ascii: "y") { return i == 0 ? true : !isConsonant(w, i - 1) }
        return true
    }

    /// m in [C](VC)^m[V]: the number of vowel→consonant transitions.
    func measure(_ w: Word) -> Int {
        var count = 0
        var previousVowel = false
        for i in w.indices {
            let consonant = isConsonant(w, i)
            if consonant && previousVowel { count += 1 }
            previousVowel = !consonant
        }
        return count
    }

    func containsVowel(_ w: Word) -> Bool { w.indices.contains { !isConsonant(w, $0) } }

    func endsDoubleConsonant(_ w: Word) -> Bool {
        w.count >= 2 && w[w.count - 1] == w[w.count - 2] && isConsonant(w, w.count - 1)
    }

    /// *o: consonant–vowel–consonant, the last not w, x or y (NLTK: also a two-letter vowel–consonant word).
    func endsCVC(_ w: Word) -> Bool {
        let n = w.count
        if n >= 3, isConsonant(w, n - 3), !isConsonant(w, n - 2), isConsonant(w, n - 1),
            !"wxy".utf8.contains(w[n - 1])
        {
            return true
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1)
    }

    func ends(_ w: Word, _ suffix: String) -> Bool {
        let s = Array(suffix.utf8)
        return w.count >= s.count && Array(w[(w.count - s.count)...]) == s
    }

    func dropping(_ w: Word, _ count: Int) -> Word { Array(w[..<(w.count - count)]) }

    /// The first rule whose suffix matches decides: its replacement if the condition holds, else no change.
    func applyFirst(_ w: Word, _ rules: [Rule]) -> Word {
        for rule in rules where ends(w, rule.suffix) {
            let stem = dropping(w, rule.suffix.utf8.count)
            if rule.condition?(stem) ?? true { return stem + Array(rule.replacement.utf8) }
            return w
        }
        return w
    }

    func positive(_ stem: Word) -> Bool { measure(stem) > 0 }

    func step1a(_ w: Word) -> Word {
        if ends(w, "ies") && w.count == 4 { return dropping(w, 3) + Array("ie".utf8) }
        return applyFirst(w, [("sses", "ss", nil), ("ies", "i", nil), ("ss", "ss", nil), ("s", "", nil)])
    }

    func step1b(_ w: Word) -> Word {
        if ends(w, "ied") { return dropping(w, 3) + Array((w.count == 4 ? "ie" : "i").utf8) }
        if ends(w, "eed") {
            let stem = dropping(w, 3)
            return measure(stem) > 0 ? stem + Array("ee".utf8) : w
        }
        var intermediate: Word?
        for suffix in ["ed", "ing"] where ends(w, suffix) {
            let stem = dropping(w, suffix.utf8.count)
            if containsVowel(stem) {
                intermediate = stem
                break
            }
        }
        guard let stem = intermediate else { return w }
        for (suffix, replacement) in [("at", "ate"), ("bl", "ble"), ("iz", "ize")] where ends(stem, suffix) {
            return dropping(stem, 2) + Array(replacement.utf8)
        }
        if endsDoubleConsonant(stem) {
            let last = stem[stem.count - 1]
            return "lsz".utf8.contains(last) ? stem : dropping(stem, 2) + [last]
        }
        if measure(stem) == 1 && endsCVC(stem) { return stem + [UInt8(ascii: "e")] }
        return stem
    }

    func step1c(_ w: Word) -> Word {
        applyFirst(w, [("y", "i", { $0.count > 1 && self.isConsonant($0, $0.count - 1) })])
    }

    func step2(_ w: Word) -> Word {
        if ends(w, "alli"), positive(dropping(w, 4)) { return step2(dropping(w, 4) + Array("al".utf8)) }
        let p: (Word) -> Bool = { self.positive($0) }
        let rules: [Rule] = [
            ("ational", "ate", p), ("tional", "tion", p), ("enci", "ence", p), ("anci", "ance", p), ("izer", "ize", p),
            ("bli", "ble", p), ("alli", "al", p), ("entli", "ent", p), ("eli", "e", p), ("ousli", "ous", p),
            ("ization", "ize", p), ("ation", "ate", p), ("ator", "ate", p), ("alism", "al", p), ("iveness", "ive", p),
            ("fulness", "ful", p), ("ousness", "ous", p), ("aliti", "al", p), ("iviti", "ive", p), ("biliti", "ble", p),
            ("fulli", "ful", p),
            // NLTK keeps the l of -logi with the stem, so short stems (geo-, theo-) qualify.
            ("logi", "log", { _ in self.positive(self.dropping(w, 3)) }),
        ]
        return applyFirst(w, rules)
    }

    func step3(_ w: Word) -> Word {
        let p: (Word) -> Bool = { self.positive($0) }
        return applyFirst(
            w,
            [("icate", "ic", p), ("ative", "", p), ("alize", "al", p), ("iciti", "ic", p), ("ical", "ic", p), ("ful", "", p), ("ness", "", p)])
    }

    func step4(_ w: Word) -> Word {
        let m: (Word) -> Bool = { self.measure($0) > 1 }
        let suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"]
        var rules: [Rule] = suffixes.map { ($0, "", m) }
        rules.append(("ion", "", { self.measure($0) > 1 && [UInt8(ascii: "s"), UInt8(ascii: "t")].contains($0.last) }))
        rules += ["ou", "ism", "ate", "iti", "ous", "ive", "ize"].map { ($0, "", m) }
        return applyFirst(w, rules)
    }

    func step5a(_ w: Word) -> Word {
        guard ends(w, "e") else { return w }
        let stem = dropping(w, 1)
        let m = measure(stem)
        if m > 1 || (m == 1 && !endsCVC(stem)) { return stem }
        return w
    }

    func step5b(_ w: Word) -> Word {
        applyFirst(w, [("ll", "l", { _ in self.measure(self.dropping(w, 1)) > 1 })])
    }
}
