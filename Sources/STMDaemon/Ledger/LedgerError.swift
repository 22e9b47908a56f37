import Glibc

/// Why the ledger could not be opened or used, naming the file so a human can act.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// The state directory is missing or not a directory.
    case stateDirectoryMissing(path: String)
    /// A read-only open found no ledger (the daemon has not run with this state directory).
    case missing(path: String)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// SQLite reports damage (`quick_check`, or a corrupt page while reading).
    case corrupt(path: String, detail: String)
    /// The file or its directory may not be read or written by this user.
    case permissionDenied(path: String, detail: String)
    /// The ledger was migrated by a newer stmd; this one does not know its schema.
    case newerSchema(path: String)
    /// A read-only open found a ledger whose schema this stmd would still migrate.
    case olderSchema(path: String)
    /// A write through a ledger opened read-only.
    case readOnly(path: String)
    /// A row the schema refuses (a hash that is not 64 lowercase hex digits, …); the whole batch is undone.
    case invalidRecord(path: String, detail: String)
    /// Any other SQLite failure.
    case sqlite(path: String, code: Int32, detail: String)

    private static let startingOver = "(its documents are then processed again)"

    public var description: String {
        switch self {
        case .stateDirectoryMissing(let path): "state directory \(path) does not exist or is not a directory"
        case .missing(let path): "no ledger at \(path) (has the daemon run with this state directory?)"
        case .notADatabase(let path):
            "ledger \(path) is not an SQLite database; move it aside to start a new ledger \(Self.startingOver)"
        case .corrupt(let path, let detail):
            "ledger \(path) is corrupt (\(detail)); move it aside to start a new ledger \(Self.startingOver)"
        case .permissionDenied(let path, let detail): "cannot open ledger \(path): \(detail)"
        case .newerSchema(let path): "ledger \(path) was written by a newer stmd; upgrade stmd"
        case .olderSchema(let path): "ledger \(path) has an older schema; start the daemon once to migrate it"
        case .readOnly(let path): "ledger \(path) is open read-only"
        case .invalidRecord(let path, let detail): "ledger \(path) refused a row: \(detail)"
        case .sqlite(let path, let code, let detail): "ledger \(path): SQLite error \(code): \(detail)"
        }
    }
}
