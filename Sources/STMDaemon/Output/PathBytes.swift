/// Paths as raw bytes: joining, splitting, checking components and rendering for humans.
///
/// Names are never converted to `String` and back; only `render` makes text, for messages.
enum PathBytes {
    static let slash = UInt8(ascii: "/")

    /// The parts joined with single `/`s (trailing slashes of a part are dropped, except for a lone `/`).
    static func join(_ parts: [[UInt8]]) -> [UInt8] {
        var path: [UInt8] = []
        for part in parts where !part.isEmpty {
            if path.isEmpty {
                path = part
                while path.count > 1 && path.last == slash { path.removeLast() }
            } else {
                if path.last != slash { path.append(slash) }
                path += part
            }
        }
        return path
    }

    /// The folder (without trailing `/`, empty when there is none) and the name after the last `/`.
    static func split(_ path: [UInt8]) -> (directory: [UInt8], name: [UInt8]) {
        guard let index = path.lastIndex(of: slash) else { return ([], path) }
        let directory = index == 0 ? [slash] : Array(path[..<index])
        return (directory, Array(path[(index + 1)...]))
    }

    /// Refuses anything that is not a single, real name: empty, `.`, `..`, a `/` or a NUL byte.
    static func validateComponent(_ component: [UInt8], in path: [UInt8], what: String) throws(OutputError) {
        let reason: String? =
            if component.isEmpty {
                "empty \(what) (a leading, trailing or doubled /)"
            } else if component == [UInt8(ascii: ".")] || component == Array("..".utf8) {
                "\(what) is . or .."
            } else if component.contains(slash) {
                "\(what) contains /"
            } else if component.contains(0) {
                "\(what) contains a NUL byte"
            } else {
                nil
            }
        if let reason { throw .invalidName(path: render(path), reason: reason) }
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    static func withCString<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        try (path + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Text for messages: valid UTF-8 kept, other bytes as `\xNN`, control characters escaped so a name with a
    /// newline stays on one log line.
    static func render(_ path: [UInt8]) -> String {
        var text = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = path.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                switch scalar {
                case "\n": text += "\\n"
                case "\t": text += "\\t"
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += hex(UInt8(scalar.value))
                default: text.unicodeScalars.append(scalar)
                }
                offset += encoded.count
            case .error(let length):
                for byte in path[offset..<(offset + length)] { text += hex(byte) }
                offset += length
            case .emptyInput:
                return text
            }
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }
}
