extension DaemonConfiguration {
    /// Where a document's `.stm.json` goes (`output`, plus `output_root` for `"root"`).
    public enum Output: Sendable, Equatable {
        /// `output = "alongside"`: beside the document, in the stream folder.
        case alongside
        /// `output = "root"`: under an absolute `output_root` that mirrors the inbox (`<root>/<stream>/…`), for
        /// inboxes that must stay untouched. The root must lie outside every inbox root.
        case root(path: String)

        /// The value of the `output` key.
        public var mode: String {
            switch self {
            case .alongside: return "alongside"
            case .root: return "root"
            }
        }
    }
}
