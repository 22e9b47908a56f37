/// The "did you mean" for an unknown key: the known key with the smallest edit distance (insertions, deletions,
/// substitutions and swaps of neighbours), when it is close enough to be a typo rather than a different word.
enum KeySuggestion {
    static func closest(to key: String, among candidates: some Sequence<String>) -> String? {
        let typed = normalized(key)
        let limit = typed.count <= 4 ? 1 : typed.count <= 9 ? 2 : 3
        var best: (key: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(typed, normalized(candidate))
            // Ties go to the alphabetically first candidate, so the suggestion does not depend on table order.
            if distance <= limit,
                best == nil || distance < best!.distance
                    || (distance == best!.distance && candidate < best!.key)
            {
                best = (candidate, distance)
            }
        }
        return best?.key
    }

    /// Case and `-`/`_` are not worth a distance: `Settle-Delay` is plainly `settle_delay`.
    private static func normalized(_ key: String) -> [Character] {
        Array(key.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
