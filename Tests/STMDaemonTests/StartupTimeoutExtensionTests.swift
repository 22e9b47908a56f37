import Testing

@testable import STMDaemon

/// Start-up time is extended while the catch-up advances, at most every 10 s, and never for a start-up that stalls.
struct StartupTimeoutExtensionTests {
    @Test func extendsWhileChecksAdvanceAndStopsWhenTheyStall() {
        var startup = StartupTimeoutExtension()
        var sent: [Int] = []
        // (seconds since start, checks done): nothing checked, then advancing, then stalled for 89 s, then advancing.
        var readings = [(0, 0), (1, 500), (5, 900), (11, 2_000)]
        readings += (12...100).map { ($0, 2_000) }
        readings.append((101, 2_001))
        for (second, checked) in readings where startup.shouldExtend(checked: checked, now: Double(second)) {
            sent.append(second)
        }
        // Not at 0 (nothing checked), not at 5 (too soon), never while stalled (so systemd's timeout, 30 s after the
        // last extension, applies), again once it advances.
        #expect(sent == [1, 11, 101])
    }
}
