/// A document's file name as an annotation records it.
///
/// Linux file names are bytes, not text, and JSON strings must be Unicode. A name that is valid UTF-8 is kept
/// exactly. Any other name gets a readable `name` in which each byte that is not part of valid UTF-8 is written as
/// the four characters `\xNN` (uppercase hex) and each real backslash is doubled, so the escaping can be undone
/// without ambiguity; and `nameBase64`, the raw bytes in standard base64 with padding, from which a program
/// restores the name exactly. `nameBase64 == nil` therefore also says that `name` is the unescaped name.
public struct InputName: Sendable, Hashable {
    public let name: String
    /// Standard base64 (RFC 4648 §4, with `=` padding) of the raw bytes; nil when they are valid UTF-8.
    public let nameBase64: String?

    public init(bytes: [UInt8]) {
        if let name = String(validating: bytes, as: UTF8.self) {
            self.name = name
            self.nameBase64 = nil
        } else {
            self.name = Self.escaped(bytes)
            self.nameBase64 = Self.base64(bytes)
        }
    }

    /// A name that is already text.
    public init(_ name: String) {
        self.name = name
        self.nameBase64 = nil
    }

    /// Valid UTF-8 sequences copied, backslashes doubled, every byte of an invalid sequence as `\xNN`.
    private static func escaped(_ bytes: [UInt8]) -> String {
        let hexDigits = Array("0123456789ABCDEF".unicodeScalars)
        var text = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar == "\\" { text.append("\\") }
                text.append(scalar)
                offset += encoded.count
            case .error(let length):
                for byte in bytes[offset..<(offset + length)] {
                    text.append(contentsOf: ["\\", "x", hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
                }
                offset += length
            case .emptyInput:
                return String(text)
            }
        }
    }

    /// Standard base64 with `=` padding (RFC 4648 §4).
    public static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = bytes[start..<min(start + 3, bytes.count)]
            var group = 0
            for (index, byte) in chunk.enumerated() { group |= Int(byte) << (16 - 8 * index) }
            for index in 0..<4 {
                // n input bytes fill n + 1 output characters; the rest of the quartet is padding.
                output.append(index <= chunk.count ? alphabet[(group >> (18 - 6 * index)) & 0x3F] : UInt8(ascii: "="))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
