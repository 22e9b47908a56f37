internal import Foundation

extension MonitoredLogStream {
    /// Two blobs to store with the stream's cursor in one transaction: the template state (JSON) and the
    /// detector (see `LogAnomalyDetector.checkpoint()`).
    public func checkpoint() -> (templates: [UInt8], detector: [UInt8]) {
        // Encoding plain Codable values cannot fail.
        let templates = [UInt8](try! JSONEncoder().encode(miner.state))
        return (templates, detector.checkpoint())
    }

    public init(checkpoint templates: [UInt8], detector: [UInt8]) throws {
        let state = try JSONDecoder().decode(TemplateMinerState.self, from: Data(templates))
        self.init(miner: try TemplateMiner(state: state), detector: try LogAnomalyDetector(checkpoint: detector))
    }
}
