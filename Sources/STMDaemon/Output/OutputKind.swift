/// Which of the two outputs a document gets: its annotation, or the reason it could not be annotated.
///
/// The raw values are stored in the ledger, so they never change.
public enum OutputKind: String, Sendable, Hashable, CaseIterable {
    /// `<name>.stm.json`: the annotation object.
    case annotation
    /// `<name>.stm.error.json`: why the document failed.
    case error

    /// The bytes appended to the input's name to form the output's name.
    public var suffix: [UInt8] {
        switch self {
        case .annotation: Array(".stm.json".utf8)
        case .error: Array(".stm.error.json".utf8)
        }
    }

    /// The other kind: publishing one output of a document removes the other, so a document has one output.
    var other: OutputKind {
        self == .annotation ? .error : .annotation
    }
}
