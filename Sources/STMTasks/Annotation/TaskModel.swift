/// A loaded model of any task kind, told apart by its bundle's configuration format.
public enum TaskModel {
    case classifier(TextClassifier)
    case summarizer(Summarizer)

    /// Loads the bundle in `directory` as whatever kind it is.
    public static func load(directory: String) throws(ModelLoadError) -> TaskModel {
        if SummarizerBundle.format(of: directory) == SummarizerConfiguration.currentFormat {
            return .summarizer(try Summarizer(directory: directory))
        }
        return .classifier(try TextClassifier(directory: directory))
    }

    public var name: String {
        switch self {
        case .classifier(let classifier): classifier.name
        case .summarizer(let summarizer): summarizer.name
        }
    }

    /// The same model for another thread (a classifier's scratch memory is per instance; a summarizer has none).
    public func sibling() -> TaskModel {
        switch self {
        case .classifier(let classifier): .classifier(classifier.sibling())
        case .summarizer: self
        }
    }
}
