import Foundation
import STMModels
import STMTensor
import STMTesting
import Testing

struct SafetensorsTests {
    // MARK: Round trips

    @Test func f32RoundTripIsBitExact() throws {
        let values: [Float] = [
            0, -0.0, 1, -2.5, .pi, .leastNonzeroMagnitude, -0x1p-130, .greatestFiniteMagnitude, -.infinity, .nan,
        ]
        let tensors = ["a": Tensor(shape: [2, 5], scalars: values), "scalar": Tensor(shape: [], scalars: [7])]
        let file = try SafetensorsFile.decode(SafetensorsFile.encode(tensors: tensors))
        let a = try #require(file.tensors["a"])
        #expect(a.shape == [2, 5])
        #expect(a.scalars.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(file.tensors["scalar"] == tensors["scalar"])
        #expect(file.storedTypes == ["a": .f32, "scalar": .f32])
        #expect(file.metadata.isEmpty)
    }

    @Test(arguments: [SafetensorsDType.f16, .bf16])
    func halfPrecisionRoundTrip(dtype: SafetensorsDType) throws {
        // Relative spacing of the type: 2^-10 for F16 (10 fraction bits), 2^-7 for BF16.
        let epsilon: Float = dtype == .f16 ? 0x1p-10 : 0x1p-7
        let representable: [Float] = [0, -0.0, 1, -2, 0.5, 0.375, -1.75, 96, 0x1p-14, .infinity]
        let inexact: [Float] = (1...40).map { Float($0) * 0.137 - 2.9 }
        let tensors = ["exact": Tensor(representable), "inexact": Tensor(inexact)]
        let file = try SafetensorsFile.decode(SafetensorsFile.encode(tensors: tensors, dtype: dtype))
        #expect(file.storedTypes == ["exact": dtype, "inexact": dtype])
        let exact = try #require(file.tensors["exact"])
        #expect(exact.scalars.map(\.bitPattern) == representable.map(\.bitPattern))
        let rounded = try #require(file.tensors["inexact"])
        for (stored, original) in zip(rounded.scalars, inexact) {
            #expect(abs(stored - original) <= abs(original) * epsilon / 2, "\(original) stored as \(stored)")
        }
    }

    @Test(arguments: [
        (UInt32(0x3F80_0000), UInt16(0x3F80)),  // 1.0 exactly
        (0x3F80_8000, 0x3F80),  // tie, kept bit even: stays
        (0x3F81_8000, 0x3F82),  // tie, kept bit odd: rounds up to even
        (0x3F80_8001, 0x3F81),  // just above the tie
        (0x3F80_7FFF, 0x3F80),  // just below the tie
        (0xBF81_8000, 0xBF82),  // negative tie rounds away in magnitude to even
        (0x3FFF_FFFF, 0x4000),  // carry into the exponent
        (0x7F7F_FFFF, 0x7F80),  // largest float rounds to infinity
        (0xFF80_0000, 0xFF80),  // -infinity
        (0x0000_0001, 0x0000),  // smallest subnormal rounds to zero
        (0x8000_8000, 0x8000),  // negative subnormal tie to even zero
        (0x7F80_0001, 0x7FC0),  // signalling NaN whose payload truncation would lose: quiet NaN
        (0xFFC0_0001, 0xFFC0),  // negative quiet NaN keeps its sign
    ])
    func bfloat16RoundsToNearestEven(floatBits: UInt32, expected: UInt16) throws {
        let bytes = SafetensorsFile.encode(tensors: ["x": Tensor([Float(bitPattern: floatBits)])], dtype: .bf16)
        let stored = UInt16(bytes[bytes.count - 2]) | UInt16(bytes[bytes.count - 1]) << 8
        #expect(stored == expected, "0x\(String(floatBits, radix: 16)) → 0x\(String(stored, radix: 16))")
        let widened = try #require(SafetensorsFile.decode(bytes).tensors["x"]?.scalars.first)
        #expect(widened.bitPattern == UInt32(expected) << 16)
    }

    @Test func float16RoundsToNearestEven() throws {
        let values: [Float] = [2049, 2051, 65519, 65520, 0x1p-25, 0x1.8p-24]
        let file = try SafetensorsFile.decode(SafetensorsFile.encode(tensors: ["x": Tensor(values)], dtype: .f16))
        #expect(file.tensors["x"]?.scalars == [2048, 2052, 65504, .infinity, 0, 0x1p-23])
    }

    @Test func perTensorTypesOverrideTheDefault() throws {
        let tensors = ["a": Tensor([1.5]), "b": Tensor([2.5]), "c": Tensor([3.5])]
        let bytes = SafetensorsFile.encode(tensors: tensors, dtype: .f16, dtypes: ["b": .bf16, "c": .f32, "zz": .f16])
        let file = try SafetensorsFile.decode(bytes)
        #expect(file.storedTypes == ["a": .f16, "b": .bf16, "c": .f32])
        #expect(file.tensors == tensors)
    }

    @Test func metadataRoundTrip() throws {
        let metadata = ["format": "pt", "note": "quote \" backslash \\ tab \t newline \n bell \u{7}", "ünï": "😀 ∑"]
        let tensors = ["empty": Tensor(shape: [0, 3]), "w": Tensor([1, 2])]
        let file = try SafetensorsFile.decode(SafetensorsFile.encode(tensors: tensors, metadata: metadata))
        #expect(file.metadata == metadata)
        #expect(file.tensors == tensors)
    }

    // MARK: Determinism and layout

    @Test func encodingIsDeterministicAndSorted() throws {
        var forward: [String: Tensor] = [:]
        var backward: [String: Tensor] = [:]
        let names = ["b.weight", "a", "B", "a.bias", "_x", "é"]
        for (index, name) in names.enumerated() { forward[name] = Tensor([Float(index)]) }
        for (index, name) in names.enumerated().reversed() { backward[name] = Tensor([Float(index)]) }
        let first = SafetensorsFile.encode(tensors: forward, metadata: ["k": "v", "a": "b"])
        #expect(first == SafetensorsFile.encode(tensors: forward, metadata: ["k": "v", "a": "b"]))
        #expect(first == SafetensorsFile.encode(tensors: backward, metadata: ["a": "b", "k": "v"]))

        let small = SafetensorsFile.encode(
            tensors: ["w": Tensor([1, 2]), "A": Tensor([3])], metadata: ["format": "pt"])
        let headerLength = Int(small[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: small[8..<(8 + headerLength)], as: UTF8.self)
        #expect(headerLength % 8 == 0)
        #expect(
            header == #"{"A":{"data_offsets":[0,4],"dtype":"F32","shape":[1]},"__metadata__":{"format":"pt"},"#
                + #""w":{"data_offsets":[4,12],"dtype":"F32","shape":[2]}}"# + "     "
        )
        #expect(small.count == 8 + headerLength + 12)
        #expect(Array(small.suffix(12)) == [0, 0, 0x40, 0x40, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
    }

    // MARK: Reference implementation

    @Test func readsFileWrittenByPython() throws {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("python-safetensors")
        let expected = try JSONDecoder().decode(
            ExpectedFixture.self,
            from: Data(contentsOf: fixtures.appendingPathComponent("mixed.expected.json"))
        )
        let file = try SafetensorsFile.read(contentsOf: fixtures.appendingPathComponent("mixed.safetensors").path)
        #expect(file.metadata == expected.metadata)
        #expect(file.tensors.keys.sorted() == expected.tensors.keys.sorted())
        #expect(Set(file.storedTypes.values) == [.f32, .f16, .bf16])
        for (name, reference) in expected.tensors {
            let tensor = try #require(file.tensors[name], "\(name)")
            #expect(file.storedTypes[name]?.rawValue == reference.dtype, "\(name)")
            #expect(tensor.shape == reference.shape, "\(name)")
            #expect(tensor.scalars.map(\.bitPattern) == reference.bits, "\(name)")
            #expect(tensor.scalars == reference.values.map { Float($0) }, "\(name)")
        }
    }

    private struct ExpectedFixture: Decodable {
        struct Entry: Decodable {
            var dtype: String
            var shape: [Int]
            var values: [Double]
            var bits: [UInt32]
        }
        var metadata: [String: String]
        var tensors: [String: Entry]
    }

    // MARK: Validation

    @Test(arguments: CorruptFile.all)
    func rejectsCorruptFile(_ corrupt: CorruptFile) throws {
        #expect(throws: corrupt.error) { try SafetensorsFile.decode(corrupt.bytes) }
        try withTemporaryDirectory { folder in
            let path = folder + "/corrupt.safetensors"
            try Data(corrupt.bytes).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(contentsOf: path) }
            #expect(error == .invalidFile(path: path, reason: corrupt.error))
            let message = try #require(error).description
            #expect(message.hasPrefix(path + ": "), "\(message)")
            for word in corrupt.mentions { #expect(message.contains(word), "\(message) should mention \(word)") }
        }
    }

    @Test func missingFileIsAnIOErrorNamingThePath() {
        let path = "/nonexistent-stmd-folder/model.safetensors"
        #expect(throws: SafetensorsError.io(path: path, errno: ENOENT)) { try SafetensorsFile.read(contentsOf: path) }
        #expect(SafetensorsError.io(path: path, errno: ENOENT).description.contains("No such file or directory"))
    }

    // MARK: Files and parameter groups

    @Test func atomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/model.safetensors"
            try SafetensorsFile.write(tensors: ["w": Tensor([1])], to: path)
            try SafetensorsFile.write(tensors: ["w": Tensor([2, 3])], metadata: ["v": "2"], dtype: .bf16, to: path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])
            let file = try SafetensorsFile.read(contentsOf: path)
            #expect(
                file
                    == SafetensorsFile(tensors: ["w": Tensor([2, 3])], metadata: ["v": "2"], storedTypes: ["w": .bf16]))

            let missing = folder + "/no-such-folder/model.safetensors"
            #expect(throws: SafetensorsError.self) { try SafetensorsFile.write(tensors: [:], to: missing) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])
        }
    }

    @Test func parameterGroupWriteThenLoad() throws {
        let layers = ParameterList([TinyLayer(seed: 1), TinyLayer(seed: 2)])
        try withTemporaryDirectory { folder in
            let path = folder + "/layers.safetensors"
            try layers.write(safetensorsTo: path, prefix: "encoder.", metadata: ["format": "pt"])
            let file = try SafetensorsFile.read(contentsOf: path)
            #expect(
                file.tensors.keys.sorted() == [
                    "encoder.0.bias", "encoder.0.weight", "encoder.1.bias", "encoder.1.weight",
                ])
            #expect(file.metadata == ["format": "pt"])
            #expect(try SafetensorsFile.decode(layers.safetensorsBytes(prefix: "encoder.")).tensors == file.tensors)

            var loaded = layers.zeros()
            try loaded.load(safetensorsFrom: path, prefix: "encoder.")
            #expect(loaded.elements == layers.elements)
        }
    }

    @Test func parameterGroupLoadNamesMissingKeyAndShape() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/layer.safetensors"
            try SafetensorsFile.write(tensors: ["weight": Tensor(shape: [2, 3]), "other": Tensor([1])], to: path)
            var layer = TinyLayer(seed: 3)
            let missing = #expect(throws: ModelFileError.self) { try layer.load(safetensorsFrom: path) }
            #expect(missing == .parameters(path: path, .missingKey("bias")))
            #expect(missing?.description == "\(path): missing tensor 'bias'")

            try SafetensorsFile.write(tensors: ["weight": Tensor(shape: [3, 2]), "bias": Tensor([0, 0])], to: path)
            let mismatch = #expect(throws: ModelFileError.self) { try layer.load(safetensorsFrom: path) }
            #expect(
                mismatch == .parameters(path: path, .mismatchedShape(key: "weight", expected: [2, 3], actual: [3, 2])))
            #expect(mismatch?.description.contains(path) == true)
            #expect(layer == TinyLayer(seed: 3), "a failed load changes nothing")

            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
            let corrupt = #expect(throws: ModelFileError.self) { try layer.load(safetensorsFrom: path) }
            #expect(corrupt == .safetensors(.invalidFile(path: path, reason: .tooShort(byteCount: 3))))
        }
    }
}

/// A weight matrix and a bias, enough to exercise keys, prefixes and shapes.
private struct TinyLayer: ParameterGroup, Equatable {
    var weight: Tensor
    var bias: Tensor

    init(seed: Int) {
        weight = Tensor(shape: [2, 3], scalars: (0..<6).map { Float(seed * 10 + $0) * 0.25 - 1 })
        bias = Tensor([Float(seed), -Float(seed)])
    }

    mutating func visitTensors(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        try body(prefix + "bias", &bias)
    }
}

/// A hand-made broken file, the error decoding must report, and words its message must contain.
struct CorruptFile: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var error: SafetensorsError
    var mentions: [String] = []

    var testDescription: String { name }

    /// Length prefix, header text, then `data` zero bytes (or an explicit length prefix to lie with).
    static func bytes(_ header: String, data: Int, declaredLength: UInt64? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt64(header.utf8.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + Array(header.utf8)
            + [UInt8](repeating: 0, count: data)
    }

    static func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        #"{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
    }

    static let all: [CorruptFile] = [
        CorruptFile(name: "too short", bytes: [1, 2, 3], error: .tooShort(byteCount: 3), mentions: ["3 bytes"]),
        CorruptFile(
            name: "header longer than file", bytes: bytes("{}", data: 0, declaredLength: 100),
            error: .headerLengthExceedsFile(headerLength: 100, available: 2), mentions: ["100"]
        ),
        CorruptFile(
            name: "truncated JSON", bytes: bytes(#"{"w":"#, data: 0),
            error: .invalidHeader(reason: "unexpected end at header byte 5")
        ),
        CorruptFile(
            name: "trailing garbage", bytes: bytes("{} x", data: 0),
            error: .invalidHeader(reason: "unexpected data after the value at header byte 3")
        ),
        CorruptFile(
            name: "invalid UTF-8", bytes: bytes("{\"w\u{7F}\":1}", data: 0).map { $0 == 0x7F ? 0xFF : $0 },
            error: .invalidHeader(reason: "string is not valid UTF-8 at header byte 5")
        ),
        CorruptFile(name: "not an object", bytes: bytes("[1, 2]", data: 0), error: .headerNotObject(found: "array")),
        CorruptFile(
            name: "F64", bytes: bytes(#"{"w":\#(entry("F64", [1], 0, 8))}"#, data: 8),
            error: .unsupportedDType(key: "w", dtype: "F64"), mentions: ["'w'", "F64"]
        ),
        CorruptFile(
            name: "I64", bytes: bytes(#"{"ids":\#(entry("I64", [1], 0, 8))}"#, data: 8),
            error: .unsupportedDType(key: "ids", dtype: "I64"), mentions: ["'ids'", "I64"]
        ),
        CorruptFile(
            name: "shape disagrees with bytes", bytes: bytes(#"{"w":\#(entry("F32", [3], 0, 8))}"#, data: 8),
            error: .byteCountMismatch(key: "w", shape: [3], dtype: .f32, expected: 12, actual: 8),
            mentions: ["'w'", "12", "8"]
        ),
        CorruptFile(
            name: "offsets past the buffer", bytes: bytes(#"{"w":\#(entry("F32", [2], 0, 8))}"#, data: 4),
            error: .offsetsOutOfRange(key: "w", begin: 0, end: 8, bufferSize: 4), mentions: ["'w'"]
        ),
        CorruptFile(
            name: "reversed offsets", bytes: bytes(#"{"w":\#(entry("F32", [1], 8, 4))}"#, data: 8),
            error: .offsetsOutOfRange(key: "w", begin: 8, end: 4, bufferSize: 8), mentions: ["'w'"]
        ),
        CorruptFile(
            name: "overlap",
            bytes: bytes(#"{"a":\#(entry("F32", [2], 0, 8)),"b":\#(entry("F32", [2], 4, 12))}"#, data: 12),
            error: .overlappingTensors(key: "b", other: "a"), mentions: ["'a'", "'b'"]
        ),
        CorruptFile(
            name: "gap", bytes: bytes(#"{"b":\#(entry("F32", [1], 8, 12)),"a":\#(entry("F32", [1], 0, 4))}"#, data: 12),
            error: .uncoveredBytes(range: 4..<8, nextKey: "b"), mentions: ["'b'", "4..<8"]
        ),
        CorruptFile(
            name: "trailing bytes", bytes: bytes(#"{"a":\#(entry("F32", [1], 0, 4))}"#, data: 8),
            error: .uncoveredBytes(range: 4..<8, nextKey: nil), mentions: ["4..<8"]
        ),
        CorruptFile(
            name: "duplicate key",
            bytes: bytes(#"{"w":\#(entry("F32", [1], 0, 4)),"w":\#(entry("F32", [1], 0, 4))}"#, data: 4),
            error: .duplicateKey("w"), mentions: ["'w'"]
        ),
        CorruptFile(
            name: "missing offsets", bytes: bytes(#"{"w":{"dtype":"F32","shape":[1]}}"#, data: 4),
            error: .invalidEntry(key: "w", reason: "has no 'data_offsets'"), mentions: ["'w'", "data_offsets"]
        ),
        CorruptFile(
            name: "negative extent", bytes: bytes(#"{"w":\#(entry("F32", [-1], 0, 4))}"#, data: 4),
            error: .invalidEntry(key: "w", reason: "'shape' is not an array of non-negative integers"),
            mentions: ["'w'"]
        ),
        CorruptFile(
            name: "metadata not strings", bytes: bytes(#"{"__metadata__":{"epoch":3}}"#, data: 0),
            error: .invalidEntry(key: "__metadata__", reason: "value of 'epoch' is a number, expected a string"),
            mentions: ["epoch"]
        ),
    ]
}

/// Runs `body` with a fresh folder that is removed afterwards.
private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let folder = try TemporaryDirectory(prefix: "stm-safetensors")
    try body(folder.path)
}
