/// A two-sided CUSUM change detector on a standardised signal.
///
/// Each value `x` is standardised with the mean and standard deviation of the values seen since the last reset
/// (Welford's running estimates, taken *before* `x` is added), then `S⁺ ← max(0, S⁺ + z − k)` and
/// `S⁻ ← max(0, S⁻ − z − k)`. An alert is raised when either exceeds `threshold` (h), after which the detector
/// starts over (a new regime gets new estimates). The first `warmup` values after a start only feed the estimates.
///
/// With k = 0.5 and h = 8 the average run between false alerts on a stationary Gaussian signal is about 10⁴
/// values (Siegmund's approximation, both sides), and a shift of 1.5 standard deviations is found after about 9.
/// Standardised values are clipped to ±2.5 so that the skewed streams real sentiment gives (mostly positive, a rare
/// confident negative) keep that false-alert rate; `DriftDetectionTests` measures both on synthetic streams.
public struct ChangeDetector: Sendable, Equatable, Codable {
    public enum Direction: String, Sendable, Codable {
        case up, down
    }

    /// Which sides raise an alert: a topic mix that becomes *more* surprising is a shift, one that becomes less is not.
    public enum Sides: String, Sendable, Codable {
        case both, upOnly
    }

    public var threshold: Double
    public var slack: Double
    public var warmup: Int
    public var sides: Sides
    /// A floor on the standard deviation (a constant signal would otherwise make any wobble infinite).
    public var minimumDeviation: Double
    /// Standardised values are clipped to ±clip before they are summed.
    public var clip: Double = 2.5

    public private(set) var count = 0
    public private(set) var mean: Double = 0
    public private(set) var sumOfSquares: Double = 0
    public private(set) var positive: Double = 0
    public private(set) var negative: Double = 0

    public init(threshold: Double = 8, slack: Double = 0.5, warmup: Int = 20, sides: Sides = .both, minimumDeviation: Double = 0.05) {
        self.threshold = threshold
        self.slack = slack
        self.warmup = warmup
        self.sides = sides
        self.minimumDeviation = minimumDeviation
    }

    /// What one value did to the detector.
    public struct Reading: Sendable, Equatable {
        /// Set when this value raised an alert.
        public var alert: Direction?
        /// max(S⁺, S⁻) / h after this value (before any restart): 1 means at the threshold.
        public var level: Double
    }

    public var standardDeviation: Double {
        count > 1 ? max(minimumDeviation, (sumOfSquares / Double(count - 1)).squareRoot()) : minimumDeviation
    }

    public mutating func update(_ x: Double) -> Reading {
        guard x.isFinite else { return Reading(alert: nil, level: level) }
        var reading = Reading(alert: nil, level: 0)
        if count >= warmup {
            // Winsorised: on a skewed stream (95 % positive) each rare negative would otherwise add 4σ at once,
            // and a few close together would pass for a shift.
            let z = min(max((x - mean) / standardDeviation, -clip), clip)
            positive = max(0, positive + z - slack)
            negative = sides == .both ? max(0, negative - z - slack) : 0
            reading.level = level
            if positive > threshold {
                reading.alert = .up
            } else if negative > threshold {
                reading.alert = .down
            }
        }
        if reading.alert != nil {
            restart()
        } else {
            count += 1
            let delta = x - mean
            mean += delta / Double(count)
            sumOfSquares += delta * (x - mean)
        }
        return reading
    }

    /// The current statistic relative to the threshold.
    public var level: Double { max(positive, negative) / threshold }

    /// The running values (count, mean, sum of squares, S⁺, S⁻): what a stream's stored memory keeps.
    public var runningValues: [Double] { [Double(count), mean, sumOfSquares, positive, negative] }

    /// Puts back `runningValues` saved earlier; false (and nothing changed) when they are not five finite numbers.
    @discardableResult
    public mutating func restore(runningValues values: [Double]) -> Bool {
        guard values.count == 5, values.allSatisfy(\.isFinite), values[0] >= 0 else { return false }
        count = Int(values[0])
        mean = values[1]
        sumOfSquares = values[2]
        positive = values[3]
        negative = values[4]
        return true
    }

    public mutating func restart() {
        count = 0
        mean = 0
        sumOfSquares = 0
        positive = 0
        negative = 0
    }
}
