import Glibc

/// The recurrent part of a stream's memory: the state vector `s` a context head keeps, the latest event time seen
/// and how many documents the stream has counted.
///
/// Time is the documents' event time (a file's mtime, in seconds since the epoch), never the wall clock, so a
/// catch-up after downtime decays the state exactly as live processing of the same arrivals did.
public struct StreamState: Sendable, Equatable {
    /// `s`; empty when no context head is configured.
    public var vector: [Float]
    /// The latest event time of a counted document (nil before the first).
    public var latestTime: Double?
    /// Documents counted since the stream began (or was reset).
    public var documentCount: Int

    public init(vector: [Float] = [], latestTime: Double? = nil, documentCount: Int = 0) {
        self.vector = vector
        self.latestTime = latestTime
        self.documentCount = documentCount
    }

    /// The factor `exp(−Δt/τ)` with `Δt = max(0, time − latestTime)`: 1 for the first document and for a document
    /// older than the latest one (an out-of-order mtime brought by `rsync -a` or `tar -x` never rewinds time).
    public func decayFactor(to time: Double, decayTime: Double) -> Double {
        guard let latestTime, decayTime > 0 else { return 1 }
        let elapsed = max(0, time - latestTime)
        return exp(-elapsed / decayTime)
    }

    /// Decays `s` to `time` (`s ← s·exp(−Δt/τ)`) and moves the latest event time forward (never back).
    /// - Returns: the factor applied.
    @discardableResult
    public mutating func decay(to time: Double, decayTime: Double) -> Double {
        let factor = decayFactor(to: time, decayTime: decayTime)
        if factor != 1 {
            let scale = Float(factor)
            for index in vector.indices { vector[index] *= scale }
        }
        latestTime = max(latestTime ?? time, time)
        return factor
    }

    /// The Euclidean norm of `s` (0 when empty), for summaries.
    public var norm: Double {
        var sum: Double = 0
        for value in vector { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }
}
