import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for systemd's side of sd_notify(3): an AF_UNIX datagram socket the daemon under test gets as
/// `$NOTIFY_SOCKET`. A thread records every message with the time it arrived (seconds since the listener began).
final class NotifyListener: @unchecked Sendable {
    struct Message: Sendable, CustomStringConvertible {
        var time: Double
        var text: String
        var fields: [String: String] {
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return fields
        }
        var description: String { String(format: "%.3f ", time) + text.replacingOccurrences(of: "\n", with: "\\n") }
    }

    let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [Message] = []
    private var closed = false
    private let start = Date()

    init(directory: String) throws {
        // sun_path holds 108 bytes: keep the socket's path short.
        path = "/tmp/stmd-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0, "socket: errno \(errno)")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(path): errno \(errno)")
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in receiveLoop() }.start()
    }

    deinit {
        lock.withLock { closed = true }
        unlink(path)
    }

    /// Stops listening (the thread closes the socket within 100 ms).
    func close() { lock.withLock { closed = true } }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ closed }) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let message = Message(time: Date().timeIntervalSince(start), text: String(decoding: buffer[0..<count], as: UTF8.self))
            lock.withLock { received.append(message) }
        }
        Glibc.close(descriptor)
    }

    var messages: [Message] { lock.withLock { received } }

    var now: Double { Date().timeIntervalSince(start) }

    /// Waits until a message after index `after` satisfies `predicate`; returns it, or nil at the deadline.
    func first(after: Int = 0, timeout: Double = 20, _ predicate: @escaping @Sendable ([String: String]) -> Bool) async -> (index: Int, message: Message)? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let all = messages
            if after < all.count {
                for index in after..<all.count where predicate(all[index].fields) { return (index, all[index]) }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
