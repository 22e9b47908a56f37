internal import Glibc

/// Which base names the watcher never reports: the configured globs plus, by construction, hidden names and
/// the daemon's own outputs (`.stm.json`, `.stm.error.json`; its temporary files are hidden).
struct IgnoreRules: Sendable {
    private let patterns: [[CChar]]
    private let builtIns: Bool

    private static let builtInSuffixes: [[UInt8]] = [Array(".stm.json".utf8), Array(".stm.error.json".utf8)]

    /// `builtIns: false` gives a plain glob list (the fault hooks' hidden names).
    init(patterns: [String], builtIns: Bool = true) {
        self.patterns = patterns.map { Array($0.utf8CString) }
        self.builtIns = builtIns
    }

    func ignores(_ name: [UInt8]) -> Bool {
        if builtIns {
            if name.first == UInt8(ascii: ".") { return true }
            for suffix in Self.builtInSuffixes
            where name.count >= suffix.count && name.suffix(suffix.count).elementsEqual(suffix) {
                return true
            }
        }
        guard !patterns.isEmpty else { return false }
        return ByteNames.withCString(name) { cName in
            patterns.contains { pattern in pattern.withUnsafeBufferPointer { fnmatch($0.baseAddress!, cName, 0) == 0 } }
        }
    }
}
