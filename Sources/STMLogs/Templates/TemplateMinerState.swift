/// The miner's durable state: settings, every template with its tree route, and the next id. Restoring it
/// rebuilds the parse tree in id order, which reproduces the same routing decisions, so a line parsed after a
/// restart gets the id it would have got without one.
public struct TemplateMinerState: Codable, Sendable, Equatable {
    public static let currentFormat = "stmd-templates-1"

    public struct Entry: Codable, Sendable, Equatable {
        public var template: LogTemplate
        /// The tree children the template was filed under (`<*>` for the wildcard child).
        public var route: [String]
    }

    public var format: String = currentFormat
    public var configuration: TemplateMinerConfiguration
    public var templates: [Entry]
    public var nextId: Int
}
