/// Per-stream alert budget: at most `perMinute` alerts in a minute; the rest of that minute's anomalies are
/// counted and reported as one summary alert when the minute is over (or at the next anomaly after it).
struct AlertLimiter {
    let perMinute: Int
    private var windows: [String: (start: Double, sent: Int, suppressed: Int)] = [:]

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    enum Decision: Equatable {
        /// Send this alert; before it, report `suppressedBefore` anomalies held back in the previous minute.
        case send(suppressedBefore: Int)
        /// Over the budget: counted for the summary.
        case suppress
    }

    mutating func admit(stream: String, at time: Double) -> Decision {
        var window = windows[stream] ?? (time, 0, 0)
        var suppressedBefore = 0
        if time - window.start >= 60 {
            suppressedBefore = window.suppressed
            window = (time, 0, 0)
        }
        defer { windows[stream] = window }
        if window.sent < perMinute {
            window.sent += 1
            return .send(suppressedBefore: suppressedBefore)
        }
        window.suppressed += 1
        return .suppress
    }

    /// Streams whose minute is over with anomalies held back: their counts, which are then cleared.
    mutating func due(at time: Double) -> [(stream: String, suppressed: Int)] {
        var due: [(stream: String, suppressed: Int)] = []
        for (stream, window) in windows where window.suppressed > 0 && time - window.start >= 60 {
            due.append((stream, window.suppressed))
            windows[stream] = (time, 0, 0)
        }
        return due.sorted { $0.stream < $1.stream }
    }
}
