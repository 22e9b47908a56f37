public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Real journal files for tests, made from export-format text by `systemd-journal-remote` (no journald needed;
/// Debian package systemd-journal-remote). Entry `i` of a call is at second `index ?? i` after a fixed epoch.
public enum JournalFiles {
    public static let tool: String? = ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
        .first { access($0, X_OK) == 0 }

    public struct Entry: Sendable {
        public var message: String
        public var identifier: String
        public var unit: String?
        public var priority: Int
        public var index: Int?

        public init(message: String, identifier: String, unit: String? = nil, priority: Int = 6, index: Int? = nil) {
            self.message = message
            self.identifier = identifier
            self.unit = unit
            self.priority = priority
            self.index = index
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func time(_ index: Int) -> UInt64 { 1_700_000_000_000_000 + UInt64(index) * 1_000_000 }

    /// Appends entries to `file` (created when missing).
    public static func append(to file: String, _ entries: [Entry]) throws {
        guard let tool else { throw Failure(description: "systemd-journal-remote is not installed") }
        var text = ""
        for (position, entry) in entries.enumerated() {
            let index = entry.index ?? position
            text += "__REALTIME_TIMESTAMP=\(time(index))\n__MONOTONIC_TIMESTAMP=\(index + 1)\n"
            text += "_BOOT_ID=d9740be54ef54c64ae4061a36702c411\n_PID=4242\n"
            text += "MESSAGE=\(entry.message)\nSYSLOG_IDENTIFIER=\(entry.identifier)\nPRIORITY=\(entry.priority)\n"
            if let unit = entry.unit { text += "_SYSTEMD_UNIT=\(unit)\n" }
            text += "\n"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-o", file, "-"]
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "systemd-journal-remote failed for \(file) (status \(process.terminationStatus))")
        }
    }
}
