/// Splits a log message into tokens at white space and masks the variable parts, writing the masked tokens
/// into a reused buffer (no allocation per line once the buffers have grown).
///
/// Masks (a token's core is the token without surrounding brackets, quotes and trailing `,;:.`):
/// - a core with a digit: numbers, hex ids (`0x1f`, `3fa9c2…`), IPv4/IPv6 addresses and ports, UUIDs, block
///   ids (`blk_-160…`), times and dates — all become `<*>`;
/// - a path (`/var/log/x`, `./a/b`) or URL (`scheme://…`): `<*>`;
/// - `key=value`, `key:value` and `name[value]` where only the value is variable: `key=<*>`, `sshd[<*>]:`, so
///   the key stays in the template.
/// The digit rule also masks names such as `ssh2` or `eth0`: merging those is what anomaly detection wants.
/// Surrounding punctuation stays: `(10.0.0.1)` becomes `(<*>)`.
struct LogTokenizer: Sendable {
    /// The masked tokens of the last line, back to back; token `i` is `buffer[bounds[i]..<bounds[i + 1]]`.
    private(set) var buffer: [UInt8] = []
    private(set) var bounds: [Int] = [0]
    /// Whether token `i` is entirely variable (`<*>`).
    private(set) var isWildcard: [Bool] = []

    var tokenCount: Int { isWildcard.count }

    private static let wildcardBytes: [UInt8] = Array("<*>".utf8)

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    @inline(__always)
    private static func isLeadingPunctuation(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "(") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{")
            || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "<")
    }
    @inline(__always)
    private static func isTrailingPunctuation(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ")") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
            || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ">")
    }

    /// Whether `core` is a variable as a whole.
    private static func isVariable(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end > start else { return false }
        let first = line[start]
        if first == UInt8(ascii: "/") && end - start > 1 { return true }
        if first == UInt8(ascii: ".") && end - start > 2 && line[start + 1] == UInt8(ascii: "/") { return true }
        var i = start
        while i < end {
            let byte = line[i]
            if isDigit(byte) { return true }
            if byte == UInt8(ascii: ":") && i + 2 < end && line[i + 1] == UInt8(ascii: "/")
                && line[i + 2] == UInt8(ascii: "/")
            {
                return true
            }
            i += 1
        }
        // The literal placeholder is a variable too, so persisted templates read back unambiguously.
        return end - start == 3 && line[start] == UInt8(ascii: "<") && line[start + 1] == UInt8(ascii: "*")
            && line[start + 2] == UInt8(ascii: ">")
    }

    /// Tokenizes and masks `line`.
    mutating func tokenize(_ line: UnsafeBufferPointer<UInt8>) {
        buffer.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
        isWildcard.removeAll(keepingCapacity: true)
        var i = 0
        let n = line.count
        while i < n {
            while i < n && Self.isSpace(line[i]) { i += 1 }
            guard i < n else { break }
            let tokenStart = i
            while i < n && !Self.isSpace(line[i]) { i += 1 }
            appendToken(line, tokenStart, i)
        }
    }

    private mutating func appendToken(_ line: UnsafeBufferPointer<UInt8>, _ tokenStart: Int, _ tokenEnd: Int) {
        var coreStart = tokenStart
        var coreEnd = tokenEnd
        while coreStart < coreEnd && Self.isLeadingPunctuation(line[coreStart]) { coreStart += 1 }
        while coreEnd > coreStart && Self.isTrailingPunctuation(line[coreEnd - 1]) { coreEnd -= 1 }
        if Self.isVariable(line, coreStart, coreEnd) {
            // key=value / key:value with a constant key: keep the key.
            var separator = coreStart
            while separator < coreEnd && line[separator] != UInt8(ascii: "=") && line[separator] != UInt8(ascii: ":")
                && line[separator] != UInt8(ascii: "[")
            {
                separator += 1
            }
            if separator > coreStart && separator + 1 < coreEnd && line[separator + 1] != UInt8(ascii: "/")
                && !Self.isVariable(line, coreStart, separator)
                && Self.isVariable(line, separator + 1, coreEnd)
            {
                append(line, tokenStart, separator + 1)
                buffer.append(contentsOf: Self.wildcardBytes)
                append(line, coreEnd, tokenEnd)
                finishToken(wildcard: false)
                return
            }
            let bare = coreStart == tokenStart && coreEnd == tokenEnd
            append(line, tokenStart, coreStart)
            buffer.append(contentsOf: Self.wildcardBytes)
            append(line, coreEnd, tokenEnd)
            finishToken(wildcard: bare)
        } else {
            append(line, tokenStart, tokenEnd)
            finishToken(wildcard: false)
        }
    }

    @inline(__always)
    private mutating func append(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        if end > start { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: line[start..<end])) }
    }

    private mutating func finishToken(wildcard: Bool) {
        bounds.append(buffer.count)
        isWildcard.append(wildcard)
    }

    /// Token `i`'s bytes, valid until the next `tokenize`.
    func withToken<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[bounds[i]..<bounds[i + 1]])) }
    }
}
