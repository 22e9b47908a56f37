public import Foundation

/// Documents per second over the last few seconds, for the status line: fed once a second with the scheduler's
/// running count of finished items.
public final class DocumentRate: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [(time: Double, finished: Int)] = []
    private let window: Double

    public init(window: Double = 5) {
        self.window = window
    }

    public func record(finished: Int, at time: Double = Date().timeIntervalSince1970) {
        lock.withLock {
            samples.append((time, finished))
            while let first = samples.first, time - first.time > window { samples.removeFirst() }
        }
    }

    public var perSecond: Double {
        lock.withLock {
            guard let first = samples.first, let last = samples.last, last.time > first.time else { return 0 }
            return Double(last.finished - first.finished) / (last.time - first.time)
        }
    }

    /// One decimal below 10, whole numbers above.
    public var perSecondText: String {
        let value = perSecond
        if value >= 10 { return String(Int(value.rounded())) }
        return String(Double(Int((value * 10).rounded())) / 10)
    }
}
