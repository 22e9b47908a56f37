@testable import STMDaemon
import Testing

struct FreeMemoryReleaseTests {
    /// The answers of `shouldRelease` for successive (finished, idle, now) ticks.
    private func answers(_ release: inout FreeMemoryRelease, _ ticks: [(Int, Bool, Double)]) -> [Bool] {
        ticks.map { finished, idle, now in release.shouldRelease(work: finished, idle: idle, now: now) }
    }

    @Test func releasesOnceWhenABurstIsOverNotWhileItRuns() {
        var release = FreeMemoryRelease(burstDocuments: 256, interval: 300, now: 0)
        let ticks: [(Int, Bool, Double)] = [
            (10_000, false, 1),  // busy: never, however many documents are done
            (10_000, true, 2),  // idle after the burst: once
            (10_000, true, 3), (10_000, true, 100),  // nothing new since
            (10_255, true, 200),  // the next burst counts from the last release: 255 is not one yet…
            (10_256, true, 201),  // …256 is
        ]
        #expect(answers(&release, ticks) == [false, true, false, false, false, true])
    }

    @Test func aTrickleIsReleasedOnceTheIntervalHasPassed() {
        var release = FreeMemoryRelease(burstDocuments: 256, interval: 300, now: 0)
        let ticks: [(Int, Bool, Double)] = [(3, true, 299), (3, true, 300), (4, true, 599), (4, true, 600), (4, true, 1_000)]
        #expect(answers(&release, ticks) == [false, true, false, true, false])
    }
}
