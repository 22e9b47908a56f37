/// Raw-byte names and paths: file names are bytes on Linux, and a name with a newline or a byte that is not
/// UTF-8 must reach `open(2)` unchanged. Strings are only made for display.
enum ByteNames {
    static let slash = UInt8(ascii: "/")

    /// `a + "/" + b`, or `a` when `b` is empty.
    static func join(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        guard !b.isEmpty else { return a }
        guard !a.isEmpty else { return b }
        var result = a
        result.reserveCapacity(a.count + 1 + b.count)
        result.append(slash)
        result.append(contentsOf: b)
        return result
    }

    /// True when `path` is `prefix` or lies below it (`prefix` empty: everything).
    static func isWithin(_ path: [UInt8], _ prefix: [UInt8]) -> Bool {
        if prefix.isEmpty { return true }
        guard path.count >= prefix.count, path.starts(with: prefix) else { return false }
        return path.count == prefix.count || path[prefix.count] == slash
    }

    /// The root path as bytes without trailing slashes ("/" stays "/", which then joins as "//x": still valid).
    static func normalizedRoot(_ root: String) -> [UInt8] {
        var bytes = Array(root.utf8)
        while bytes.count > 1, bytes.last == slash { bytes.removeLast() }
        return bytes
    }

    /// UTF-8 text, with each byte that is not part of a valid UTF-8 sequence written as `\xNN` (the same
    /// convention as the annotation's `input.name`).
    static func display(_ bytes: [UInt8]) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var result = ""
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int =
                switch lead {
                case 0x00...0x7F: 1
                case 0xC2...0xDF: 2
                case 0xE0...0xEF: 3
                case 0xF0...0xF4: 4
                default: 0
                }
            if length > 0, index + length <= bytes.count,
                let scalar = String(validating: bytes[index..<(index + length)], as: UTF8.self)
            {
                result += scalar
                index += length
            } else {
                let hex = String(lead, radix: 16, uppercase: true)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                index += 1
            }
        }
        return result
    }

    /// Calls `body` with a NUL-terminated copy of `bytes`.
    static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        var terminated = bytes
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
