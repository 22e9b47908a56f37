/// Why an entry in a stream is not a document. Such entries are never opened and never followed.
public enum RejectionReason: Sendable, Hashable, CustomStringConvertible {
    case symbolicLink
    case fifo
    case socket
    case blockDevice
    case characterDevice
    /// Any other file type; `mode` is the raw `st_mode`.
    case other(mode: UInt32)

    public var description: String {
        switch self {
        case .symbolicLink: "a symbolic link (never followed)"
        case .fifo: "a FIFO (never opened)"
        case .socket: "a socket"
        case .blockDevice: "a block device (never opened)"
        case .characterDevice: "a character device (never opened)"
        case .other(let mode): "not a regular file (mode 0o\(String(mode, radix: 8)))"
        }
    }
}
