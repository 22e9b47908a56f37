/// Token ↔ id table with reserved specials, built deterministically from counts.
///
/// Ids: 0 `<pad>`, 1 `<unk>`, then the extra specials in the order given, then tokens by descending count,
/// ties broken by the token's string order, so the same counts always give the same ids on every platform.
/// Serialised as JSON `{"tokens": [...], "minimumCount": …, "maximumSize": …, "specials": [...]}`.
public struct Vocabulary: Sendable, Hashable, Codable {
    public static let paddingToken = "<pad>"
    public static let unknownToken = "<unk>"
    public static let paddingID = 0
    public static let unknownID = 1

    /// All tokens in id order, specials first.
    public let tokens: [String]
    /// Tokens seen fewer times are left out (and encode as `<unk>`).
    public let minimumCount: Int
    /// Upper bound on `count`, specials included, so it is also the embedding table's row count; nil: no bound.
    public let maximumSize: Int?
    /// Extra reserved tokens after `<pad>` and `<unk>` (e.g. `WordTokenizer.placeholderTokens`).
    public let specials: [String]
    private let idsByToken: [String: Int]

    /// - Precondition: `maximumSize`, if given, leaves room for the specials; `minimumCount >= 1`.
    public init(counts: [String: Int], minimumCount: Int = 1, maximumSize: Int? = nil, specials: [String] = []) {
        precondition(minimumCount >= 1, "Vocabulary: minimumCount \(minimumCount) must be at least 1")
        var reserved = [Self.paddingToken, Self.unknownToken]
        for special in specials where !reserved.contains(special) { reserved.append(special) }
        if let maximumSize {
            precondition(
                maximumSize >= reserved.count,
                "Vocabulary: maximumSize \(maximumSize) is smaller than the \(reserved.count) specials")
        }
        let reservedSet = Set(reserved)
        let ranked = counts.filter { $0.value >= minimumCount && !reservedSet.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let room = (maximumSize ?? Int.max) - reserved.count
        self.init(
            validatedTokens: reserved + ranked.prefix(room).map(\.key),
            minimumCount: minimumCount,
            maximumSize: maximumSize,
            specials: Array(reserved.dropFirst(2))
        )
    }

    /// Counts every token of every document (a convenience for `init(counts:)`).
    public static func counts<Documents: Sequence>(of documents: Documents) -> [String: Int]
    where Documents.Element == [String] {
        var counts: [String: Int] = [:]
        for document in documents {
            for token in document { counts[token, default: 0] += 1 }
        }
        return counts
    }

    private init(validatedTokens tokens: [String], minimumCount: Int, maximumSize: Int?, specials: [String]) {
        self.tokens = tokens
        self.minimumCount = minimumCount
        self.maximumSize = maximumSize
        self.specials = specials
        self.idsByToken = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
    }

    public var count: Int { tokens.count }

    /// The token's id, or `unknownID` for tokens outside the vocabulary.
    public func id(for token: String) -> Int {
        idsByToken[token] ?? Self.unknownID
    }

    public func contains(_ token: String) -> Bool {
        idsByToken[token] != nil
    }

    /// The token for an id, or nil when the id is out of range.
    public func token(for id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    private enum CodingKeys: String, CodingKey {
        case tokens, minimumCount, maximumSize, specials
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try container.decode([String].self, forKey: .tokens)
        let specials = try container.decodeIfPresent([String].self, forKey: .specials) ?? []
        let reserved = [Self.paddingToken, Self.unknownToken] + specials
        guard tokens.starts(with: reserved) else {
            throw DecodingError.dataCorruptedError(
                forKey: .tokens, in: container,
                debugDescription:
                    "Vocabulary must start with \(reserved), found \(Array(tokens.prefix(reserved.count)))")
        }
        guard Set(tokens).count == tokens.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .tokens, in: container, debugDescription: "Vocabulary tokens contain duplicates")
        }
        self.init(
            validatedTokens: tokens,
            minimumCount: try container.decodeIfPresent(Int.self, forKey: .minimumCount) ?? 1,
            maximumSize: try container.decodeIfPresent(Int.self, forKey: .maximumSize),
            specials: specials
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(minimumCount, forKey: .minimumCount)
        try container.encodeIfPresent(maximumSize, forKey: .maximumSize)
        try container.encode(specials, forKey: .specials)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.tokens == rhs.tokens && lhs.minimumCount == rhs.minimumCount && lhs.maximumSize == rhs.maximumSize
            && lhs.specials == rhs.specials
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tokens)
        hasher.combine(minimumCount)
        hasher.combine(maximumSize)
        hasher.combine(specials)
    }
}
