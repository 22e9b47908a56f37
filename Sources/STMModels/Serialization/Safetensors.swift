public import STMTensor

/// Element types stmd reads from and writes to safetensors files. All of them widen to `Float` in memory;
/// the half-width ones exist to halve model files and to read checkpoints trained elsewhere.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"

    /// Bytes per element in the file.
    public var byteCount: Int { self == .f32 ? 4 : 2 }
}

/// The tensors and metadata of one safetensors file
/// (https://github.com/huggingface/safetensors: an 8-byte little-endian header length, a JSON header,
/// then one data buffer that the tensors tile exactly).
public struct SafetensorsFile: Sendable, Equatable {
    public var tensors: [String: Tensor]
    /// The header's `__metadata__`: free-form strings such as `"format": "pt"`.
    public var metadata: [String: String]
    /// The type each tensor had in the file, before widening to `Float`.
    public var storedTypes: [String: SafetensorsDType]

    public init(
        tensors: [String: Tensor] = [:],
        metadata: [String: String] = [:],
        storedTypes: [String: SafetensorsDType] = [:]
    ) {
        self.tensors = tensors
        self.metadata = metadata
        self.storedTypes = storedTypes
    }

    static let metadataKey = "__metadata__"
}

// MARK: - Decoding

extension SafetensorsFile {
    /// Parses a whole file held in memory, checking the header and that the tensors tile the data buffer
    /// exactly (the reference implementation's rules), so a truncated or hand-edited file is never half-read.
    public static func decode(_ bytes: [UInt8]) throws(SafetensorsError) -> SafetensorsFile {
        guard bytes.count >= 8 else { throw .tooShort(byteCount: bytes.count) }
        var headerLength: UInt64 = 0
        for position in 0..<8 { headerLength |= UInt64(bytes[position]) << (8 * UInt64(position)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .headerLengthExceedsFile(headerLength: headerLength, available: bytes.count - 8)
        }
        let dataStart = 8 + Int(headerLength)
        let bufferSize = bytes.count - dataStart

        let header = try HeaderJSON.parse(bytes[8..<dataStart])
        guard case .object(let members) = header else { throw .headerNotObject(found: header.kindName) }
        var file = SafetensorsFile()
        var entries: [Entry] = []
        for (key, value) in members {
            if key == metadataKey {
                file.metadata = try decodeMetadata(value)
            } else {
                entries.append(try Entry(key: key, json: value, bufferSize: bufferSize))
            }
        }
        try checkTiling(entries, bufferSize: bufferSize)

        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let data = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
                file.tensors[entry.key] = Tensor(shape: entry.shape, scalars: widen(data, from: entry.dtype))
                file.storedTypes[entry.key] = entry.dtype
            }
        }
        return file
    }

    /// One tensor's header entry, checked against itself and the buffer size.
    private struct Entry {
        var key: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int

        init(key: String, json: HeaderJSON, bufferSize: Int) throws(SafetensorsError) {
            guard case .object(let fields) = json else {
                throw .invalidEntry(key: key, reason: "is a \(json.kindName), expected an object")
            }
            func field(_ name: String) throws(SafetensorsError) -> HeaderJSON {
                guard let value = fields.first(where: { $0.key == name })?.value else {
                    throw .invalidEntry(key: key, reason: "has no '\(name)'")
                }
                return value
            }
            guard case .string(let dtypeName) = try field("dtype") else {
                throw .invalidEntry(key: key, reason: "'dtype' is not a string")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw .unsupportedDType(key: key, dtype: dtypeName)
            }
            guard case .array(let extents) = try field("shape"),
                case let shape = extents.compactMap(\.nonNegativeInteger), shape.count == extents.count
            else { throw .invalidEntry(key: key, reason: "'shape' is not an array of non-negative integers") }
            guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
                let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger
            else { throw .invalidEntry(key: key, reason: "'data_offsets' is not two non-negative integers") }
            guard begin <= end, end <= bufferSize else {
                throw .offsetsOutOfRange(key: key, begin: begin, end: end, bufferSize: bufferSize)
            }
            var byteCount = dtype.byteCount
            for extent in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw .invalidEntry(key: key, reason: "shape \(shape) is too large") }
                byteCount = product
            }
            guard byteCount == end - begin else {
                throw .byteCountMismatch(key: key, shape: shape, dtype: dtype, expected: byteCount, actual: end - begin)
            }
            self.key = key
            self.dtype = dtype
            self.shape = shape
            self.begin = begin
            self.end = end
        }
    }

    private static func decodeMetadata(_ json: HeaderJSON) throws(SafetensorsError) -> [String: String] {
        guard case .object(let members) = json else {
            throw .invalidEntry(key: metadataKey, reason: "is a \(json.kindName), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw .invalidEntry(
                    key: metadataKey, reason: "value of '\(key)' is a \(value.kindName), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// Walks the entries in offset order: each must start where the previous one ended, and the last must
    /// end at the buffer's end. Empty tensors may sit at any boundary.
    private static func checkTiling(_ entries: [Entry], bufferSize: Int) throws(SafetensorsError) {
        let ordered = entries.sorted { ($0.begin, $0.end, $0.key) < ($1.begin, $1.end, $1.key) }
        var covered = 0
        var lastKey = ""
        for entry in ordered {
            if entry.begin < covered { throw .overlappingTensors(key: entry.key, other: lastKey) }
            if entry.begin > covered { throw .uncoveredBytes(range: covered..<entry.begin, nextKey: entry.key) }
            covered = entry.end
            lastKey = entry.key
        }
        if covered < bufferSize { throw .uncoveredBytes(range: covered..<bufferSize, nextKey: nil) }
    }

    private static func widen(_ data: UnsafeRawBufferPointer, from dtype: SafetensorsDType) -> [Float] {
        let count = data.count / dtype.byteCount
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                for i in 0..<count {
                    let bits = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    out[i] = Float(bitPattern: bits)
                }
            case .f16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(Float16(bitPattern: bits))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
            initialized = count
        }
    }
}

// MARK: - Encoding

extension SafetensorsFile {
    /// Serialises `tensors` as one safetensors file. The output depends only on the arguments: tensors are
    /// sorted by the UTF-8 bytes of their names, header keys are sorted the same way, data follows in that
    /// order, and the header is padded with spaces to a multiple of 8 bytes as the reference writer does.
    ///
    /// `dtype` is the stored type of every tensor unless `dtypes` names another for it; entries of `dtypes`
    /// for names not in `tensors` are ignored. No tensor may be named `__metadata__`.
    public static func encode(
        tensors: [String: Tensor],
        metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32,
        dtypes: [String: SafetensorsDType] = [:]
    ) -> [UInt8] {
        precondition(tensors[metadataKey] == nil, "SafetensorsFile.encode: '\(metadataKey)' is reserved")
        let byteOrder: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let names = tensors.keys.sorted(by: byteOrder)

        var headerMembers: [(key: String, value: HeaderJSON)] = []
        var layout: [(tensor: Tensor, dtype: SafetensorsDType, offset: Int)] = []
        var dataSize = 0
        for name in names {
            let tensor = tensors[name]!
            let stored = dtypes[name] ?? dtype
            let byteCount = tensor.count * stored.byteCount
            layout.append((tensor, stored, dataSize))
            headerMembers.append(
                (
                    name,
                    .object([
                        ("data_offsets", .array([.number(String(dataSize)), .number(String(dataSize + byteCount))])),
                        ("dtype", .string(stored.rawValue)),
                        ("shape", .array(tensor.shape.map { .number(String($0)) })),
                    ])
                )
            )
            dataSize += byteCount
        }
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted(by: byteOrder).map { (key: $0, value: HeaderJSON.string(metadata[$0]!)) }
            headerMembers.append((metadataKey, .object(entries)))
            headerMembers.sort { byteOrder($0.key, $1.key) }
        }
        var header: [UInt8] = []
        HeaderJSON.object(headerMembers).write(into: &header)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        let dataStart = 8 + header.count
        var out = [UInt8](repeating: 0, count: dataStart + dataSize)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            raw.baseAddress!.advanced(by: 8).copyMemory(from: header, byteCount: header.count)
            for item in layout {
                store(item.tensor.scalars, as: item.dtype, into: raw, at: dataStart + item.offset)
            }
        }
        return out
    }

    private static func store(
        _ scalars: [Float],
        as dtype: SafetensorsDType,
        into raw: UnsafeMutableRawBufferPointer,
        at start: Int
    ) {
        switch dtype {
        case .f32:
            for (i, value) in scalars.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: start + 4 * i, as: UInt32.self)
            }
        case .f16:
            for (i, value) in scalars.enumerated() {
                raw.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: start + 2 * i, as: UInt16.self)
            }
        case .bf16:
            for (i, value) in scalars.enumerated() {
                raw.storeBytes(of: bfloat16Bits(value).littleEndian, toByteOffset: start + 2 * i, as: UInt16.self)
            }
        }
    }

    /// The bfloat16 nearest to `value`, ties to even (what PyTorch and ml_dtypes do). Adding 0x7FFF plus
    /// the lowest kept bit, then truncating, rounds exactly; a carry into the exponent correctly yields
    /// the next binade or infinity. NaN would lose its payload to truncation, so it becomes a quiet NaN.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let keptLowestBit = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ keptLowestBit) >> 16)
    }
}
