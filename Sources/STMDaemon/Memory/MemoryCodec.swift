import Foundation
import STMMemory

/// The byte forms of memory values in the database. Vectors are little-endian float32 (exact: a reloaded stream
/// continues bit for bit as if it had never left RAM); detectors are JSON, whose doubles round-trip exactly.
enum MemoryCodec {
    static func data(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func vector(_ data: Data) -> [Float] {
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - bytes.count % 4, by: 4).map { offset in
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    struct Detectors: Codable {
        var sentiment: ChangeDetector
        var topic: ChangeDetector
    }

    static func json(sentiment: ChangeDetector, topic: ChangeDetector) throws -> String {
        String(decoding: try JSONEncoder().encode(Detectors(sentiment: sentiment, topic: topic)), as: UTF8.self)
    }

    static func detectors(_ json: String?) -> (sentiment: ChangeDetector, topic: ChangeDetector)? {
        guard let json, let decoded = try? JSONDecoder().decode(Detectors.self, from: Data(json.utf8)) else { return nil }
        return (decoded.sentiment, decoded.topic)
    }

    static func json(labels: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    static func labels(_ json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }
}
