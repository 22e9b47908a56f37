/// Online template mining with Drain (He et al., ICWS 2017): lines are routed through a fixed-depth parse
/// tree — first by token count, then by their first `depth − 2` tokens — to a leaf holding a few templates;
/// the line joins the most similar one (share of equal positions ≥ the threshold), turning the positions that
/// differ into `<*>`, or starts a new template.
///
/// Template ids are stable: assigned once in order of creation, kept when a template generalizes, and kept
/// across restarts (`state` / `init(state:)`). Id 0 (`unknownId`) is reserved for lines the miner will not
/// give a template (the template limit is reached); models use it as their out-of-vocabulary class too.
public struct TemplateMiner: Sendable {
    public static let unknownId = 0

    public let configuration: TemplateMinerConfiguration

    private struct Cluster: Sendable {
        let id: Int
        var tokens: [Int32]
        var count: Int
        let route: [Int32]
    }

    /// A tree node: the token count, the level (0 = the length node) and the route tokens that lead to it.
    private struct Node: Hashable, Sendable {
        var length: Int32
        var level: Int32
        var route: (Int32, Int32, Int32) = (Self.none, Self.none, Self.none)
        static let none: Int32 = -9

        func child(_ token: Int32) -> Node {
            var next = self
            switch level {
            case 0: next.route.0 = token
            case 1: next.route.1 = token
            default: next.route.2 = token
            }
            next.level += 1
            return next
        }

        static func == (a: Node, b: Node) -> Bool {
            a.length == b.length && a.level == b.level && a.route.0 == b.route.0 && a.route.1 == b.route.1
                && a.route.2 == b.route.2
        }
        func hash(into hasher: inout Hasher) {
            hasher.combine(length)
            hasher.combine(level)
            hasher.combine(route.0)
            hasher.combine(route.1)
            hasher.combine(route.2)
        }
    }

    private var table = TokenTable()
    private var tokenizer = LogTokenizer()
    private var lineTokens: [Int32] = []
    private var clusters: [Cluster] = []
    private var indexById: [Int: Int] = [:]
    /// Every tree node, the number of children of each inner node, and the template indices of each leaf.
    private var nodes: Set<Node> = []
    private var childCounts: [Node: Int] = [:]
    private var leaves: [Node: [Int]] = [:]
    private var nextId = 1

    public init(configuration: TemplateMinerConfiguration = TemplateMinerConfiguration()) {
        precondition(configuration.validationError == nil, "TemplateMiner: \(configuration.validationError!)")
        self.configuration = configuration
    }

    private var routeDepth: Int { configuration.depth - 2 }

    /// Number of templates.
    public var templateCount: Int { clusters.count }

    /// Every template, in id order.
    public var templates: [LogTemplate] { clusters.map(template(of:)) }

    public func template(id: Int) -> LogTemplate? { indexById[id].map { template(of: clusters[$0]) } }

    private func template(of cluster: Cluster) -> LogTemplate {
        LogTemplate(id: cluster.id, tokens: cluster.tokens.map(table.text(of:)), count: cluster.count)
    }

    /// Parses `line`, learning from it.
    public mutating func add(_ line: String) -> TemplateMatch {
        var line = line
        return line.withUTF8 { add(bytes: $0) }
    }

    /// Parses a line given as UTF-8 bytes (no line terminator), learning from it.
    public mutating func add(bytes line: UnsafeBufferPointer<UInt8>) -> TemplateMatch {
        readTokens(line)
        if let index = bestMatch() {
            clusters[index].count += 1
            var previous: String?
            for i in lineTokens.indices
            where clusters[index].tokens[i] != lineTokens[i] && clusters[index].tokens[i] != TokenTable.wildcard {
                if previous == nil { previous = template(of: clusters[index]).text }
                clusters[index].tokens[i] = TokenTable.wildcard
            }
            return TemplateMatch(
                templateId: clusters[index].id, change: previous.map { .generalized(previous: $0) } ?? .none)
        }
        guard clusters.count < configuration.maximumTemplates else {
            return TemplateMatch(templateId: Self.unknownId, change: .overflow)
        }
        for i in lineTokens.indices where lineTokens[i] == TokenTable.unseen {
            lineTokens[i] = tokenizer.withToken(i) { table.intern($0) }
        }
        let route = insertRoute(for: lineTokens)
        let id = nextId
        nextId += 1
        file(Cluster(id: id, tokens: lineTokens, count: 1, route: route))
        return TemplateMatch(templateId: id, change: .created)
    }

    /// The template `line` would get, without learning (unknownId when none is similar enough).
    public mutating func match(_ line: String) -> Int {
        var line = line
        return line.withUTF8 { bytes in
            readTokens(bytes)
            return bestMatch().map { clusters[$0].id } ?? Self.unknownId
        }
    }

    private mutating func readTokens(_ line: UnsafeBufferPointer<UInt8>) {
        tokenizer.tokenize(line)
        lineTokens.removeAll(keepingCapacity: true)
        for i in 0..<tokenizer.tokenCount {
            lineTokens.append(
                tokenizer.isWildcard[i] ? TokenTable.wildcard : tokenizer.withToken(i) { table.lookup($0) })
        }
    }

    /// The leaf's most similar template at or above the threshold (ties: the one with more `<*>`).
    private func bestMatch() -> Int? {
        guard let leaf = searchLeaf(), let candidates = leaves[leaf] else { return nil }
        var best: Int?
        var bestSimilarity = -1.0
        var bestWildcards = -1
        let length = lineTokens.count
        for index in candidates {
            var same = 0
            var wildcards = 0
            clusters[index].tokens.withUnsafeBufferPointer { template in
                lineTokens.withUnsafeBufferPointer { line in
                    for i in 0..<length {
                        if template[i] == TokenTable.wildcard {
                            wildcards += 1
                            if line[i] == TokenTable.wildcard { same += 1 }
                        } else if template[i] == line[i] {
                            same += 1
                        }
                    }
                }
            }
            let similarity = length == 0 ? 1 : Double(same) / Double(length)
            if similarity > bestSimilarity || (similarity == bestSimilarity && wildcards > bestWildcards) {
                (best, bestSimilarity, bestWildcards) = (index, similarity, wildcards)
            }
        }
        return bestSimilarity >= configuration.similarityThreshold ? best : nil
    }

    private func searchLeaf() -> Node? {
        var node = Node(length: Int32(lineTokens.count), level: 0)
        guard nodes.contains(node) else { return nil }
        for level in 0..<min(routeDepth, lineTokens.count) {
            let exact = node.child(lineTokens[level])
            let wildcard = node.child(TokenTable.wildcard)
            if lineTokens[level] != TokenTable.unseen && exists(exact) {
                node = exact
            } else if exists(wildcard) {
                node = wildcard
            } else {
                return nil
            }
        }
        return node
    }

    private func exists(_ node: Node) -> Bool { nodes.contains(node) }

    /// Drain's rule for a new template: a token the node already has a child for follows it; a variable token
    /// goes to `<*>`; a new token gets its own child while the node has room, else `<*>`.
    private mutating func insertRoute(for tokens: [Int32]) -> [Int32] {
        var node = Node(length: Int32(tokens.count), level: 0)
        var route: [Int32] = []
        for level in 0..<min(routeDepth, tokens.count) {
            let token = tokens[level]
            let choice: Int32
            if token == TokenTable.wildcard || exists(node.child(token)) {
                choice = token
            } else if (childCounts[node] ?? 0) + 1 < configuration.maximumChildren {
                choice = token
            } else {
                choice = TokenTable.wildcard
            }
            route.append(choice)
            node = node.child(choice)
        }
        return route
    }

    /// Adds the nodes along `cluster.route` and files the cluster in its leaf.
    private mutating func file(_ cluster: Cluster) {
        var node = Node(length: Int32(cluster.tokens.count), level: 0)
        nodes.insert(node)
        for token in cluster.route {
            let child = node.child(token)
            if nodes.insert(child).inserted { childCounts[node, default: 0] += 1 }
            node = child
        }
        leaves[node, default: []].append(clusters.count)
        indexById[cluster.id] = clusters.count
        clusters.append(cluster)
    }

    /// The durable state (see `TemplateMinerState`).
    public var state: TemplateMinerState {
        TemplateMinerState(
            configuration: configuration,
            templates: clusters.map { .init(template: template(of: $0), route: $0.route.map(table.text(of:))) },
            nextId: nextId)
    }

    /// Restores a miner from `state`; throws when the state is inconsistent (ids out of order, routes too long).
    public init(state: TemplateMinerState) throws(TemplateStateError) {
        guard state.format == TemplateMinerState.currentFormat else { throw .unsupportedFormat(state.format) }
        if let problem = state.configuration.validationError { throw .invalid(problem) }
        self.init(configuration: state.configuration)
        var lastId = 0
        for entry in state.templates {
            let id = entry.template.id
            guard id > lastId, id < state.nextId else { throw .invalid("template id \(id) out of order") }
            guard entry.route.count == min(routeDepth, entry.template.tokens.count) else {
                throw .invalid("template \(id) has a route of \(entry.route.count) tokens")
            }
            lastId = id
            let tokens = entry.template.tokens.map { table.intern($0) }
            let route = entry.route.map { table.intern($0) }
            file(Cluster(id: id, tokens: tokens, count: entry.template.count, route: route))
        }
        nextId = state.nextId
    }
}

/// Why a saved template state cannot be restored.
public enum TemplateStateError: Error, Equatable, CustomStringConvertible {
    case unsupportedFormat(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unsupportedFormat(let format):
            "template state format '\(format)', expected '\(TemplateMinerState.currentFormat)'"
        case .invalid(let reason): "invalid template state: \(reason)"
        }
    }
}
