import CSystemd
import Glibc

/// The service manager's notification protocol (sd_notify(3)): READY, STATUS, WATCHDOG, RELOADING, STOPPING,
/// EXTEND_TIMEOUT_USEC.
///
/// `sd_notifyf` is variadic and unavailable from Swift, so messages are formatted here and sent whole; each
/// `send` is one datagram, which the manager applies atomically. Without `$NOTIFY_SOCKET` (not run by systemd
/// as `Type=notify`) every call is a cheap no-op.
public struct SystemdNotifier: Sendable {
    /// Whether `$NOTIFY_SOCKET` names a socket to talk to.
    public let isEnabled: Bool

    public init() {
        isEnabled = getenv("NOTIFY_SOCKET") != nil
    }

    /// Sends `KEY=value` lines as one message. Newlines inside a value would start a new assignment, so they
    /// are replaced by spaces. Returns false when nothing was sent (no socket, or the send failed).
    @discardableResult
    public func send(_ assignments: [(key: String, value: String)]) -> Bool {
        guard isEnabled, !assignments.isEmpty else { return false }
        let message = assignments.map { "\($0.key)=\(Self.singleLine($0.value))" }.joined(separator: "\n")
        return sd_notify(0, message) > 0
    }

    /// `READY=1` with the current status line.
    public func ready(status: String) { send([("READY", "1"), ("STATUS", status)]) }

    public func status(_ text: String) { send([("STATUS", text)]) }

    /// `WATCHDOG=1`: "still making progress".
    public func watchdog() { send([("WATCHDOG", "1")]) }

    /// `RELOADING=1` with `MONOTONIC_USEC` (systemd ≥ 253 requires it for `Type=notify-reload`; older
    /// managers ignore it).
    public func reloading(status: String) {
        send([("RELOADING", "1"), ("MONOTONIC_USEC", String(Self.monotonicMicroseconds())), ("STATUS", status)])
    }

    public func stopping(status: String) { send([("STOPPING", "1"), ("STATUS", status)]) }

    /// `EXTEND_TIMEOUT_USEC=`: the current start-up (or reload, or stop) may take `seconds` more from now
    /// (systemd ≥ 236; older managers ignore it).
    public func extendTimeout(seconds: Double, status: String) {
        send([("EXTEND_TIMEOUT_USEC", String(UInt64(seconds * 1_000_000))), ("STATUS", status)])
    }

    /// The interval at which to send `WATCHDOG=1` — half of `$WATCHDOG_USEC` — or nil when the watchdog is off
    /// or meant for another process (`sd_watchdog_enabled` checks `$WATCHDOG_PID`).
    public static func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds / 2))
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func singleLine(_ value: String) -> String {
        value.contains("\n") ? value.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ") : value
    }
}
