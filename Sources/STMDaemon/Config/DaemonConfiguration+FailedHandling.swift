extension DaemonConfiguration {
    /// What happens to a document that cannot be processed (`failed`, plus `failed_directory` for `"move"`).
    public enum FailedHandling: Sendable, Equatable {
        /// `failed = "error-file"`: `<name>.stm.error.json` with the reason, beside the input (or under the output
        /// root); the input is left where it is.
        case errorFile
        /// `failed = "move"`: the input is moved to an absolute `failed_directory` (mirroring `<stream>/…`), which
        /// must lie outside every inbox root so a moved file is never taken again.
        case move(directory: String)

        /// The value of the `failed` key.
        public var mode: String {
            switch self {
            case .errorFile: return "error-file"
            case .move: return "move"
            }
        }
    }
}
