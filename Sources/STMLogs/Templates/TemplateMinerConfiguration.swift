/// Drain's settings (He et al., ICWS 2017). The defaults are the values the Drain paper and loghub's
/// benchmark use for most systems; `similarityThreshold` is the one worth tuning per source.
public struct TemplateMinerConfiguration: Codable, Sendable, Equatable {
    /// Depth of the parse tree including the root and the leaf level: `depth − 2` leading tokens route a line.
    public var depth: Int
    /// A line joins the most similar template of its leaf when at least this share of positions are equal.
    public var similarityThreshold: Double
    /// Children per tree node; further distinct tokens share the `<*>` child.
    public var maximumChildren: Int
    /// Templates kept at most; lines that would create more get `TemplateMiner.unknownId` (bounded memory).
    public var maximumTemplates: Int

    public init(
        depth: Int = 4, similarityThreshold: Double = 0.5, maximumChildren: Int = 100, maximumTemplates: Int = 10_000
    ) {
        self.depth = depth
        self.similarityThreshold = similarityThreshold
        self.maximumChildren = maximumChildren
        self.maximumTemplates = maximumTemplates
    }

    /// Why these settings cannot work, or nil.
    public var validationError: String? {
        if depth < 3 || depth > 5 { return "depth \(depth) outside 3...5" }
        if !(similarityThreshold > 0 && similarityThreshold <= 1) {
            return "similarity threshold \(similarityThreshold) outside (0, 1]"
        }
        if maximumChildren < 2 { return "maximum children \(maximumChildren) below 2" }
        if maximumTemplates < 1 { return "maximum templates \(maximumTemplates) below 1" }
        return nil
    }
}
