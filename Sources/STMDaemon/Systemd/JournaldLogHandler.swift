import CSystemd
import Glibc
public import Logging
import Synchronization

/// A swift-log handler that writes structured entries to journald with `sd_journal_sendv` (native protocol:
/// binary-safe values, multi-line messages, every metadata key a field — see `JournalFields`).
///
/// If journald cannot be reached the entry goes to stderr instead, so nothing is lost silently; the first such
/// entry is preceded by one line saying why (a stale socket left by a killed journald looks like a journal).
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level

    public init(logLevel: Logger.Level = .info) {
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let fields = JournalFields.fields(for: event, metadata: merged)
        let status = Self.send(fields)
        if status != 0 {
            if !Self.reportedUnreachable.exchange(true, ordering: .relaxed) {
                let reason = String(cString: strerror(-status))
                let line = Array("stmd: journald unreachable (\(reason)); logging to stderr instead\n".utf8)
                _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            }
            StderrLogHandler(logLevel: logLevel, prefixesPriority: false).log(event: event)
        }
    }

    private static let reportedUnreachable = Atomic<Bool>(false)

    /// One entry; returns 0 or a negative errno.
    static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        let buffers = fields.map { Array("\($0.name)=\($0.value)".utf8) }
        var pointers: [UnsafeMutablePointer<UInt8>] = []
        pointers.reserveCapacity(buffers.count)
        defer { for pointer in pointers { pointer.deallocate() } }
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        for buffer in buffers {
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(buffer.count, 1))
            pointer.initialize(from: buffer, count: buffer.count)
            pointers.append(pointer)
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(pointer), iov_len: buffer.count))
        }
        return sd_journal_sendv(&vectors, Int32(vectors.count))
    }
}
