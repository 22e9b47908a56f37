import Foundation
import STMTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 6's bound on resources, through the real binary with the shipped models and the default `[memory]`.
extension DaemonTests {
    static let boundedStreams = 1_000
    static let boundedPerStream = 10

    /// 10,000 documents over 1,000 streams, all present at start: the catch-up takes the streams in turn, so with
    /// `max_streams = 256` nearly every document reloads its stream's memory from the database. Peak RSS stays at
    /// most 150 MiB and the database (ledger + WAL) at most 50 MB, and every stream counts its ten documents.
    @Test func tenThousandDocumentsOverAThousandStreamsStayBounded() async throws {
        let streams = (0..<Self.boundedStreams).map { String(format: "s%04d", $0) }
        let world = try DaemonWorld("bounded", streams: streams)
        let start = 1_700_000_000
        for (s, stream) in streams.enumerated() {
            for i in 0..<Self.boundedPerStream {
                let path = world.path(stream, "d\(i).txt")
                try RawFS.write(Self.document(s * Self.boundedPerStream + i) + "stream \(s) item \(i)\n", to: path)
                var times = [timespec(tv_sec: start + i * 60, tv_nsec: s), timespec(tv_sec: start + i * 60, tv_nsec: s)]
                try #require(utimensat(AT_FDCWD, path, &times, 0) == 0, "utimensat \(path): errno \(errno)")
            }
        }
        let total = Self.boundedStreams * Self.boundedPerStream
        let daemon = try world.start(shippedModels: true)
        let finished = await eventuallyAsync(timeout: 240, interval: .seconds(1)) {
            Self.annotationCount(in: world, streams: streams) >= total
        }
        let peak = Self.peakResidentMiB(of: daemon.process.processIdentifier)
        let database = Self.databaseBytes(world)
        try #require(finished, "\(Self.annotationCount(in: world, streams: streams)) of \(total) annotated\n\(daemon.log.suffix(2000))")
        let peakMiB = try #require(peak, "no VmHWM for the daemon")
        #expect(peakMiB <= 150, "peak RSS \(peakMiB) MiB")
        #expect(database.total <= 50_000_000, "database \(database)")
        for stream in ["s0000", "s0511", "s0999"] {
            #expect(try await Self.memoryShow(world, stream)["documents"] as? Int == Self.boundedPerStream, "\(stream)")
        }
        try await Self.stopCleanly(daemon, world)
        let stopped = Self.databaseBytes(world)
        #expect(stopped.total <= 50_000_000, "database after the stop \(stopped)")
    }

    /// The ledger database's size: the main file and its write-ahead log.
    static func databaseBytes(_ world: DaemonWorld) -> (file: Int, log: Int, total: Int) {
        let size = { (name: String) in
            (try? FileManager.default.attributesOfItem(atPath: world.state + "/" + name)[.size] as? Int) ?? 0
        }
        let file = size("ledger.sqlite"), log = size("ledger.sqlite-wal")
        return (file, log, file + log)
    }

    /// Outputs present in the given streams.
    static func annotationCount(in world: DaemonWorld, streams: [String]) -> Int {
        streams.reduce(0) { sum, stream in
            sum + RawFS.names(in: world.stream(stream)).filter { $0.ends(with: ".stm.json") }.count
        }
    }

    /// The process's peak resident set (VmHWM) in MiB, nil when it cannot be read.
    static func peakResidentMiB(of pid: pid_t) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            if let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Double($0) }) {
                return kib / 1024
            }
        }
        return nil
    }
}
