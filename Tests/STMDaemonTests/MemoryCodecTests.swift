import Foundation
import Testing

@testable import STMDaemon

/// The byte form of stored vectors: little-endian float32, bit-exact both ways (a reloaded stream must continue
/// exactly as if it had never left RAM).
struct MemoryCodecTests {
    @Test func vectorsAreLittleEndianFloat32() {
        let data = MemoryCodec.data([1, -2.5])
        #expect([UInt8](data) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])
    }

    @Test func vectorsRoundTripBitForBit() {
        let values: [Float] = [
            0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, .infinity,
            Float(bitPattern: 0x7FC0_1234), 0.1, -123.456,
        ]
        let decoded = MemoryCodec.vector(MemoryCodec.data(values))
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(MemoryCodec.vector(MemoryCodec.data([])).isEmpty)
    }

    @Test func aTruncatedValueIsIgnored() {
        var data = MemoryCodec.data([3, 4])
        data.removeLast()
        #expect(MemoryCodec.vector(data) == [3])
        // Data that is a slice (non-zero start index) decodes the same.
        let sliced = MemoryCodec.data([7, 8, 9]).dropFirst(4)
        #expect(MemoryCodec.vector(Data(sliced)) == [8, 9])
        #expect(MemoryCodec.vector(sliced) == [8, 9])
    }
}
