import Foundation

/// The most recent warning or error the daemon logged, for the systemd status line and `stmd status`.
public final class LastProblem: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?

    public init() {}

    public var text: String? { lock.withLock { value } }

    func record(_ message: String) {
        let short = message.count > 160 ? String(message.prefix(157)) + "..." : message
        lock.withLock { value = short }
    }
}
