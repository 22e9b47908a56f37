import Testing

@testable import STMDaemon

/// The per-stream alert budget of journal monitoring: a burst becomes a few alerts and one summary.
struct AlertLimiterTests {
    @Test func aBurstIsCutToTheBudgetAndTheRestIsSummedUpOnce() {
        var limiter = AlertLimiter(perMinute: 3)
        var sent = 0
        var suppressed = 0
        for second in 0..<50 {
            switch limiter.admit(stream: "nginx", at: Double(second) * 0.5) {
            case .send(let before):
                sent += 1
                #expect(before == 0)
            case .suppress: suppressed += 1
            }
        }
        #expect(sent == 3 && suppressed == 47)
        // Another stream has its own budget.
        #expect(limiter.admit(stream: "sshd", at: 10) == .send(suppressedBefore: 0))
        // Nothing is due before the minute is over; then the held-back count, once.
        #expect(limiter.due(at: 59).isEmpty)
        let due = limiter.due(at: 61)
        #expect(due.count == 1 && due[0].stream == "nginx" && due[0].suppressed == 47)
        #expect(limiter.due(at: 62).isEmpty)
        #expect(limiter.admit(stream: "nginx", at: 62) == .send(suppressedBefore: 0))
    }

    @Test func theNextAlertAfterTheMinuteCarriesTheHeldBackCount() {
        var limiter = AlertLimiter(perMinute: 1)
        #expect(limiter.admit(stream: "a", at: 0) == .send(suppressedBefore: 0))
        #expect(limiter.admit(stream: "a", at: 1) == .suppress)
        #expect(limiter.admit(stream: "a", at: 2) == .suppress)
        #expect(limiter.admit(stream: "a", at: 70) == .send(suppressedBefore: 2))
    }
}
