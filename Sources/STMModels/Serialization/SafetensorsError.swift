internal import Glibc

/// Why a safetensors file could not be read or written. Each case carries what a person needs to find the
/// problem: the tensor key, the offending numbers, and (through `invalidFile` or `io`) the file path.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// Fewer than the 8 bytes that hold the header length.
    case tooShort(byteCount: Int)
    /// The header length prefix points past the end of the file.
    case headerLengthExceedsFile(headerLength: UInt64, available: Int)
    /// The header is not UTF-8 JSON; `reason` says what and at which header byte.
    case invalidHeader(reason: String)
    /// The header parsed but is a JSON array, string, … instead of an object.
    case headerNotObject(found: String)
    /// A key appears twice in one JSON object of the header.
    case duplicateKey(String)
    /// A header entry lacks `dtype`, `shape` or `data_offsets`, or has them in the wrong form.
    case invalidEntry(key: String, reason: String)
    /// A dtype stmd does not read (F64, I64, …).
    case unsupportedDType(key: String, dtype: String)
    /// `shape` × element size disagrees with the span of `data_offsets`.
    case byteCountMismatch(key: String, shape: [Int], dtype: SafetensorsDType, expected: Int, actual: Int)
    /// `data_offsets` reversed or reaching past the data buffer.
    case offsetsOutOfRange(key: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors claim the same bytes.
    case overlappingTensors(key: String, other: String)
    /// Bytes of the data buffer that no tensor claims; `nextKey` is the tensor after the gap, nil at the end.
    case uncoveredBytes(range: Range<Int>, nextKey: String?)
    /// A decoding error found in the file at `path`.
    indirect case invalidFile(path: String, reason: SafetensorsError)
    /// A system call on `path` failed.
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .tooShort(let byteCount):
            return "file is \(byteCount) bytes, too short for the 8-byte header length of a safetensors file"
        case .headerLengthExceedsFile(let headerLength, let available):
            return "header length \(headerLength) is larger than the \(available) bytes that follow it"
        case .invalidHeader(let reason):
            return "header is not valid JSON: \(reason)"
        case .headerNotObject(let found):
            return "header is a JSON \(found), expected an object"
        case .duplicateKey(let key):
            return "key '\(key)' appears more than once in the header"
        case .invalidEntry(let key, let reason):
            return "header entry '\(key)': \(reason)"
        case .unsupportedDType(let key, let dtype):
            let supported = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(key)' has dtype \(dtype); supported dtypes are \(supported)"
        case .byteCountMismatch(let key, let shape, let dtype, let expected, let actual):
            return "tensor '\(key)': shape \(shape) of \(dtype.rawValue) needs \(expected) bytes, "
                + "but data_offsets span \(actual)"
        case .offsetsOutOfRange(let key, let begin, let end, let bufferSize):
            return "tensor '\(key)': data_offsets [\(begin), \(end)] do not fit the \(bufferSize)-byte data buffer"
        case .overlappingTensors(let key, let other):
            return "tensors '\(other)' and '\(key)' overlap in the data buffer"
        case .uncoveredBytes(let range, let nextKey):
            let place = nextKey.map { "before tensor '\($0)'" } ?? "at the end"
            return "bytes \(range.lowerBound)..<\(range.upperBound) of the data buffer (\(place)) belong to no tensor"
        case .invalidFile(let path, let reason):
            return "\(path): \(reason)"
        case .io(let path, let errno):
            return "\(path): \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}
