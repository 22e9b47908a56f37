import Foundation
import Testing

/// The running systemd-journald, as the journal tests see it: written through its socket, read back with
/// `journalctl`. A socket file alone proves nothing — a journald killed with SIGKILL leaves it behind, and a
/// socket bind-mounted from a host journals where `journalctl` here cannot read — so `unusableReason` sends a
/// probe entry and reads it back.
enum LiveJournal {
    static let socketPath = "/run/systemd/journal/socket"

    /// Why the journal cannot be written and read back here, or nil when it can.
    static func unusableReason(in directory: String) async throws -> String? {
        guard access(socketPath, F_OK) == 0 else { return "no systemd-journald socket at \(socketPath)" }
        guard let journalctl = findTool("journalctl"), let systemdCat = findTool("systemd-cat") else {
            return "journalctl or systemd-cat is not installed (Debian package systemd)"
        }
        let identifier = "stmd-test-probe-\(UUID().uuidString.prefix(8).lowercased())"
        let sent = try await Stmd.waitOffThePool(
            try RunningProcess(
                executable: systemdCat, arguments: ["-t", identifier, "/bin/echo", "probe"],
                environment: ProcessInfo.processInfo.environment, directory: directory),
            timeout: 20)
        guard sent.exitedCleanly else { return "systemd-cat could not write to the journal: \(sent.stderr.trimmingCharacters(in: .whitespacesAndNewlines))" }
        var lastError = ""
        let readBack = try await eventuallyAsync(timeout: 5, interval: .milliseconds(50)) {
            let result = try await entries(["SYSLOG_IDENTIFIER=\(identifier)"], journalctl: journalctl, in: directory)
            lastError = result.error
            return !result.entries.isEmpty
        }
        return readBack ? nil : "a probe entry sent through \(socketPath) was not read back by journalctl (\(lastError))"
    }

    /// The entries matching `matches` (journalctl's FIELD=value arguments), as JSON objects.
    static func entries(_ matches: [String], journalctl: String, in directory: String) async throws
        -> (entries: [[String: Any]], error: String)
    {
        let result = try await Stmd.waitOffThePool(
            try RunningProcess(
                executable: journalctl, arguments: ["-o", "json", "--no-pager"] + matches,
                environment: ProcessInfo.processInfo.environment, directory: directory),
            timeout: 20)
        return (try result.stdout.split(separator: "\n").map { try JSON.object($0) }, result.stderr)
    }

    /// Skips (prints why) where the journal is unusable, except under CI, where `.ci/run` starts a journald and an
    /// unusable one is a failure rather than a silent skip. Returns whether the test should go on.
    static func available(in directory: String) async throws -> Bool {
        guard let reason = try await unusableReason(in: directory) else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("CI=true but the journal is unusable: \(reason); .ci/run should have started systemd-journald")
        } else {
            print("skipped: \(reason) (.ci/run starts a systemd-journald)")
        }
        return false
    }
}
