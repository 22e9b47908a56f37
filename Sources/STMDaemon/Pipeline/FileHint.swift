import Foundation
import Glibc

/// A file's size and modification time: hints, never identity (`tar -x` sets the time after closing, inodes are
/// reused), used only to avoid re-reading a file a rescan finds unchanged. The time is stored in the ledger as a
/// `Date`, so it is compared at the ledger's resolution (microseconds).
struct FileHint: Equatable {
    var size: Int64
    var modificationTime: Date

    init?(path: [UInt8], followingLinks: Bool = true) {
        var status = stat()
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        guard (followingLinks ? stat(cPath, &status) : lstat(cPath, &status)) == 0 else { return nil }
        self.init(status: status)
    }

    /// From a `stat` the caller already made (the reader's `fstat` of the file it read).
    init(status: stat) {
        size = Int64(status.st_size)
        let seconds = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec / 1000) / 1e6
        modificationTime = Date(timeIntervalSince1970: seconds)
    }
}
