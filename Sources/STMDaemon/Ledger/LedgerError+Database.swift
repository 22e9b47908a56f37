import GRDB

extension LedgerError {
    /// Names the ledger file in whatever SQLite reported.
    init(_ error: DatabaseError, path: String) {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_NOTADB: self = .notADatabase(path: path)
        case .SQLITE_CORRUPT: self = .corrupt(path: path, detail: detail)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            self = .permissionDenied(path: path, detail: detail)
        case .SQLITE_CONSTRAINT: self = .invalidRecord(path: path, detail: detail)
        default: self = .sqlite(path: path, code: error.extendedResultCode.rawValue, detail: detail)
        }
    }
}
