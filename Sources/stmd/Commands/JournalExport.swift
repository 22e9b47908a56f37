import Foundation

/// Reads `journalctl -o export` files (the Journal Export Format): entries separated by an empty line, each
/// field `NAME=value\n`, or, for values with newlines or binary data, `NAME\n` + a 64-bit little-endian length
/// + the bytes + `\n`. Only what training needs is kept: each entry's MESSAGE and the field naming its stream.
enum JournalExport {
    struct Entry: Equatable {
        var stream: String
        var message: String
    }

    /// Whether `data` looks like export format (its first field is a journal field such as `__CURSOR=`).
    static func looksLikeExport(_ data: Data) -> Bool {
        let prefix = String(decoding: data.prefix(64), as: UTF8.self)
        return prefix.hasPrefix("__CURSOR=") || prefix.hasPrefix("__REALTIME_TIMESTAMP=")
    }

    /// The entries with a MESSAGE, in file order; `streamFields` are tried in order for the stream name.
    static func read(_ data: Data, path: String, streamFields: [String]) throws -> [Entry] {
        let bytes = [UInt8](data)
        var entries: [Entry] = []
        var fields: [String: String] = [:]
        var index = 0
        var line = 1
        func finishEntry() {
            if let message = fields["MESSAGE"] {
                let stream = streamFields.lazy.compactMap { fields[$0] }.first ?? "journal"
                entries.append(Entry(stream: stream, message: message))
            }
            fields = [:]
        }
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw CommandFailure("\(path):\(line): export entry ends without a newline")
            }
            if end == index {
                finishEntry()
                index = end + 1
                line += 1
                continue
            }
            if let equals = bytes[index..<end].firstIndex(of: UInt8(ascii: "=")) {
                fields[String(decoding: bytes[index..<equals], as: UTF8.self)] = String(
                    decoding: bytes[(equals + 1)..<end], as: UTF8.self)
                index = end + 1
                line += 1
                continue
            }
            // A binary field: the name, a newline, the length as 64-bit little endian, the value, a newline.
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            let lengthStart = end + 1
            guard lengthStart + 8 <= bytes.count else {
                throw CommandFailure("\(path):\(line): field \(name) has no length")
            }
            var length: UInt64 = 0
            for k in 0..<8 { length |= UInt64(bytes[lengthStart + k]) << (8 * UInt64(k)) }
            let valueStart = lengthStart + 8
            guard length <= UInt64(bytes.count - valueStart - 1), bytes[valueStart + Int(length)] == UInt8(ascii: "\n")
            else {
                throw CommandFailure("\(path):\(line): field \(name) claims \(length) bytes, more than the file holds")
            }
            let value = bytes[valueStart..<(valueStart + Int(length))]
            fields[name] = String(decoding: value, as: UTF8.self)
            line += 1 + value.filter { $0 == UInt8(ascii: "\n") }.count + 1
            index = valueStart + Int(length) + 1
        }
        finishEntry()
        return entries
    }
}
