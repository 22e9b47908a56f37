/// When to ask systemd for more start-up time (`EXTEND_TIMEOUT_USEC=`) before READY=1.
///
/// READY=1 comes once every file the catch-up scan found has been checked against the ledger. On a large inbox that
/// takes a while (18 s for 100,000 files here), and the shipped unit's `TimeoutStartSec=60s` would kill a start-up with
/// about 330,000 files and then restart it into the same fate. So while the checks advance, the daemon extends the
/// start-up timeout a little at a time; a start-up that stops advancing (a hang) gets no more extensions and still
/// meets the timeout.
struct StartupTimeoutExtension {
    /// Each extension: the time systemd waits from the moment it is sent.
    static let extensionSeconds = 30.0
    /// Extensions are sent at most this often.
    static let intervalSeconds = 10.0

    private var checkedAtLastExtension = 0
    private var lastExtension: Double?

    /// Called once a second before READY=1 with the count of catch-up checks done so far; true when the caller should
    /// send an extension now (it is then counted as sent).
    mutating func shouldExtend(checked: Int, now: Double) -> Bool {
        guard checked > checkedAtLastExtension else { return false }
        if let lastExtension, now - lastExtension < Self.intervalSeconds { return false }
        checkedAtLastExtension = checked
        lastExtension = now
        return true
    }
}
