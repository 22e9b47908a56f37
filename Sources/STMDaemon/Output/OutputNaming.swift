/// The names the daemon gives its files, so the watcher can ignore them by construction.
///
/// - output: the input's exact name bytes plus `.stm.json` or `.stm.error.json`;
/// - temporary file: `.` + input name + output suffix + `.tmp-` + 16 lowercase hex digits, e.g.
///   `.report.txt.stm.json.tmp-3f9c0e1a7b2d4c55`. The leading dot hides it (the watcher skips hidden files, as
///   rsync and editors write theirs the same way); the exact shape lets recovery delete orphans without ever
///   touching a user's file. When the name would exceed 255 bytes, the input-name part is shortened (the
///   ledger records the temporary file's full name, so nothing needs to derive it back).
public enum OutputNaming {
    /// The longest file name Linux file systems accept, in bytes.
    public static let maximumNameLength = 255
    static let temporaryMarker = Array(".tmp-".utf8)
    static let randomDigits = 16

    /// `<name><suffix>` for a document named `name`.
    ///
    /// - Throws: `OutputError.nameTooLong` when the result exceeds 255 bytes.
    public static func outputName(for name: [UInt8], kind: OutputKind) throws -> [UInt8] {
        let output = name + kind.suffix
        guard output.count <= maximumNameLength else { throw OutputError.nameTooLong(path: PathBytes.render(output)) }
        return output
    }

    /// A fresh temporary name for the output of a document named `name`.
    static func temporaryName(for name: [UInt8], kind: OutputKind, random: UInt64) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var digits: [UInt8] = []
        for shift in stride(from: 60, through: 0, by: -4) { digits.append(hex[Int((random >> UInt64(shift)) & 0xF)]) }
        let fixed = 1 + kind.suffix.count + temporaryMarker.count + randomDigits
        let namePart = name.prefix(maximumNameLength - fixed)
        return [UInt8(ascii: ".")] + namePart + kind.suffix + temporaryMarker + digits
    }

    /// Whether `name` is one of the daemon's outputs (`*.stm.json`, `*.stm.error.json`).
    public static func isOutputName(_ name: [UInt8]) -> Bool {
        OutputKind.allCases.contains { kind in name.count > kind.suffix.count && name.ends(with: kind.suffix) }
    }

    /// Whether `name` has the exact shape of the daemon's temporary files.
    public static func isTemporaryName(_ name: [UInt8]) -> Bool {
        guard name.first == UInt8(ascii: "."), name.count > randomDigits + temporaryMarker.count else { return false }
        let digits = name.suffix(randomDigits)
        guard digits.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return false }
        let beforeDigits = name.dropLast(randomDigits)
        guard beforeDigits.ends(with: temporaryMarker) else { return false }
        let stem = beforeDigits.dropLast(temporaryMarker.count)
        return OutputKind.allCases.contains { kind in stem.count > kind.suffix.count && stem.ends(with: kind.suffix) }
    }

    /// Whether the daemon wrote `name`: an output or a temporary file. The watcher ignores these.
    public static func isDaemonFile(_ name: [UInt8]) -> Bool {
        isOutputName(name) || isTemporaryName(name)
    }
}

extension Collection where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self.suffix(suffix.count).elementsEqual(suffix)
    }
}
