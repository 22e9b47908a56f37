import Foundation
import STMMemory

/// The byte forms of memory values in the database. Vectors are little-endian float32 (exact: a reloaded stream
/// continues bit for bit as if it had never left RAM); detectors are JSON, whose doubles round-trip exactly.
enum MemoryCodec {
    static func data(_ vector: [Float]) -> Data {
        #if _endian(little)
            // One copy of the whole buffer: this runs twice per document (the state and the window entry).
            return vector.withUnsafeBufferPointer { Data(buffer: $0) }
        #else
            var data = Data(capacity: vector.count * 4)
            for value in vector {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
            }
            return data
        #endif
    }

    /// The vector stored by `data(_:)`; a trailing partial value (a damaged row) is ignored.
    static func vector(_ data: Data) -> [Float] {
        let count = data.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                    buffer[index] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialized = count
        }
    }

    /// The two detectors' running values as ten little-endian float64 (their parameters come from the settings).
    static func data(sentiment: ChangeDetector, topic: ChangeDetector) -> Data {
        var data = Data(capacity: 80)
        for value in sentiment.runningValues + topic.runningValues {
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The running values stored by `data(sentiment:topic:)`, nil when absent (after a reset) or malformed.
    static func detectorValues(_ data: Data?) -> (sentiment: [Double], topic: [Double])? {
        guard let data, data.count == 80 else { return nil }
        let bytes = [UInt8](data)
        let values = stride(from: 0, to: 80, by: 8).map { offset in
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * index) }
            return Double(bitPattern: bits)
        }
        return (Array(values[0..<5]), Array(values[5..<10]))
    }

    static func json(labels: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    static func labels(_ json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    /// Highlights as JSON, or nil (SQL NULL) when there are none — most streams have no summary task.
    static func json(highlights: [MemoryHighlight]) throws -> String? {
        guard !highlights.isEmpty else { return nil }
        return String(decoding: try JSONEncoder().encode(highlights), as: UTF8.self)
    }

    static func highlights(_ json: String?) -> [MemoryHighlight] {
        guard let json else { return [] }
        return (try? JSONDecoder().decode([MemoryHighlight].self, from: Data(json.utf8))) ?? []
    }
}
