/// One mined template: a stable id, its tokens (`<*>` where lines differ) and how many lines matched it.
public struct LogTemplate: Codable, Sendable, Equatable {
    /// Stable across restarts: assigned once, in order of first appearance, starting at 1.
    public let id: Int
    public internal(set) var tokens: [String]
    public internal(set) var count: Int

    public var text: String { tokens.joined(separator: " ") }
}

/// What `TemplateMiner.add` did with a line.
public struct TemplateMatch: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        /// The line matched a template as it was.
        case none
        /// A new template was created from the line: an event worth logging.
        case created
        /// The line joined a template and turned some of its positions into `<*>`; the id is unchanged.
        case generalized(previous: String)
        /// The template limit is reached: the line got `TemplateMiner.unknownId`.
        case overflow
    }

    public let templateId: Int
    public let change: Change

    public init(templateId: Int, change: Change) {
        self.templateId = templateId
        self.change = change
    }
}
