extension Annotation {
    /// The `input` section: which bytes were read and how they became text. Every value is a function of the bytes
    /// and the name, except `tokens`, which also depends on the first task's tokenizer (part of its model).
    public struct Input: Sendable, Equatable, Codable {
        public enum TextEncoding: String, Sendable, Codable, CaseIterable {
            case utf8 = "utf-8"
            case utf16LittleEndian = "utf-16le"
            case utf16BigEndian = "utf-16be"
        }

        /// The file name, escaped as `InputName` describes when it is not UTF-8.
        public var name: String
        /// The raw name in base64; present only when the name is not UTF-8.
        public var nameBase64: String?
        /// Bytes in the file, byte order mark included.
        public var size: Int
        /// Lowercase hex SHA-256 of the file's bytes.
        public var sha256: String
        public var encoding: TextEncoding
        /// Some bytes were not valid in `encoding` and were replaced with U+FFFD. Named for the usual case; it is
        /// also set for an unpaired surrogate or an odd trailing byte in UTF-16.
        public var invalidUTF8: Bool
        /// Unicode scalars (code points) of the decoded text, byte order mark excluded, replacements included.
        /// Scalars rather than grapheme clusters: the count then cannot change with the Unicode tables of a toolchain.
        public var characters: Int
        /// Tokens as the first task's tokenizer counts them; 0 until the caller sets it.
        public var tokens: Int

        public init(
            name: InputName, size: Int, sha256: String, encoding: TextEncoding, invalidUTF8: Bool, characters: Int,
            tokens: Int
        ) {
            self.name = name.name
            self.nameBase64 = name.nameBase64
            self.size = size
            self.sha256 = sha256
            self.encoding = encoding
            self.invalidUTF8 = invalidUTF8
            self.characters = characters
            self.tokens = tokens
        }

        private enum CodingKeys: String, CodingKey {
            case name
            case nameBase64 = "name_base64"
            case size, sha256, encoding
            case invalidUTF8 = "invalid_utf8"
            case characters, tokens
        }
    }

    /// A document's bytes decoded for the tasks, with the `input` section that describes them.
    public struct DecodedDocument: Sendable {
        /// Complete except for `tokens`, which the caller sets from the first task's tokenizer.
        public var input: Input
        /// The text the tasks read: byte order mark removed, invalid sequences replaced with U+FFFD.
        public var text: String

        /// Decodes `contents` as UTF-16 when it starts with a UTF-16 byte order mark (`FF FE` little-endian,
        /// `FE FF` big-endian), else as UTF-8, dropping a UTF-8 byte order mark. There is no other guessing: a file
        /// without a mark is UTF-8, and a UTF-32 mark reads as UTF-16 LE with a NUL after it.
        public init(contents: [UInt8], name: [UInt8]) {
            let encoding: Input.TextEncoding
            var invalid = false
            if contents.starts(with: [0xFF, 0xFE]) || contents.starts(with: [0xFE, 0xFF]) {
                encoding = contents[0] == 0xFF ? .utf16LittleEndian : .utf16BigEndian
                let body = contents[2...]
                var units: [UInt16] = []
                units.reserveCapacity(body.count / 2)
                var index = body.startIndex
                while index + 1 < body.endIndex {
                    let (first, second) = (UInt16(body[index]), UInt16(body[index + 1]))
                    units.append(encoding == .utf16LittleEndian ? first | second << 8 : first << 8 | second)
                    index += 2
                }
                if let valid = String(validating: units, as: UTF16.self) {
                    text = valid
                } else {
                    text = String(decoding: units, as: UTF16.self)
                    invalid = true
                }
                if body.count % 2 == 1 {
                    text.unicodeScalars.append("\u{FFFD}")  // half a code unit at the end
                    invalid = true
                }
            } else {
                encoding = .utf8
                let body = contents.starts(with: [0xEF, 0xBB, 0xBF]) ? contents[3...] : contents[...]
                if let valid = String(validating: body, as: UTF8.self) {
                    text = valid
                } else {
                    text = String(decoding: body, as: UTF8.self)
                    invalid = true
                }
            }
            input = Input(
                name: InputName(bytes: name), size: contents.count, sha256: SHA256.hex(of: SHA256.hash(contents)),
                encoding: encoding, invalidUTF8: invalid, characters: text.unicodeScalars.count, tokens: 0)
        }
    }
}
