/// The model's closed vocabulary: which template id each class stands for. Class 0 is "unknown" (any template
/// without a class); classes 1… are given out in order, up to the model's class count, and never change.
public struct TemplateVocabulary: Codable, Sendable, Equatable {
    /// `templateIds[i]` is the template of class `i + 1`.
    public private(set) var templateIds: [Int]
    public let capacity: Int
    private var classById: [Int: Int]

    public init(capacity: Int, templateIds: [Int] = []) {
        precondition(
            templateIds.count < capacity, "TemplateVocabulary: \(templateIds.count) templates for \(capacity) classes")
        self.capacity = capacity
        self.templateIds = []
        classById = [:]
        for id in templateIds { _ = assign(id) }
    }

    enum CodingKeys: String, CodingKey { case templateIds, capacity }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let capacity = try container.decode(Int.self, forKey: .capacity)
        let ids = try container.decode([Int].self, forKey: .templateIds)
        guard ids.count < capacity, Set(ids).count == ids.count, !ids.contains(0) else {
            throw DecodingError.dataCorruptedError(
                forKey: .templateIds, in: container,
                debugDescription: "\(ids.count) distinct non-zero ids needed below capacity \(capacity)")
        }
        self.init(capacity: capacity, templateIds: ids)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(templateIds, forKey: .templateIds)
        try container.encode(capacity, forKey: .capacity)
    }

    /// Classes in use, counting class 0.
    public var assignedCount: Int { templateIds.count + 1 }

    /// The class of a template (0: unknown).
    @inline(__always)
    public func classIndex(of templateId: Int) -> Int { classById[templateId] ?? 0 }

    /// The template of a class (0 for class 0).
    public func templateId(ofClass index: Int) -> Int { index == 0 ? 0 : templateIds[index - 1] }

    /// Gives `templateId` the next free class; nil when the vocabulary is full (it stays unknown).
    public mutating func assign(_ templateId: Int) -> Int? {
        if let existing = classById[templateId] { return existing }
        guard templateId != 0, assignedCount < capacity else { return nil }
        templateIds.append(templateId)
        classById[templateId] = templateIds.count
        return templateIds.count
    }
}
