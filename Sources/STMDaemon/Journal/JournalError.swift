import Glibc

/// Journal reading failures, each naming what a person needs to fix it.
public enum JournalError: Error, CustomStringConvertible, Equatable {
    case call(String, location: JournalReader.Location, errno: Int32)
    case invalidMatch(String, errno: Int32)
    case invalidCursor(String, errno: Int32)

    public var description: String {
        switch self {
        case .call(let name, let location, let code):
            let hint = code == EACCES || code == EPERM ? " (reading other services' entries needs group systemd-journal)" : ""
            return "journal \(Self.describe(location)): \(name) failed: \(String(cString: strerror(code)))\(hint)"
        case .invalidMatch(let term, let code):
            return "journal match '\(term)' is not valid (FIELD=value expected): \(String(cString: strerror(code)))"
        case .invalidCursor(let cursor, let code):
            return "journal cursor '\(cursor)' is not valid: \(String(cString: strerror(code)))"
        }
    }

    static func describe(_ location: JournalReader.Location) -> String {
        switch location {
        case .local: "(local)"
        case .directory(let path): path
        case .files(let paths): paths.joined(separator: ", ")
        }
    }
}
