/// A loaded model of any task kind, told apart by its bundle's configuration format.
public enum TaskModel {
    case classifier(TextClassifier)
    case summarizer(Summarizer)
    case translator(Translator)

    /// Loads the bundle in `directory` as whatever kind it is.
    public static func load(directory: String) throws(ModelLoadError) -> TaskModel {
        switch SummarizerBundle.format(of: directory) {
        case SummarizerConfiguration.currentFormat: return .summarizer(try Summarizer(directory: directory))
        case TranslatorConfiguration.currentFormat: return .translator(try Translator(directory: directory))
        default: return .classifier(try TextClassifier(directory: directory))
        }
    }

    public var name: String {
        switch self {
        case .classifier(let classifier): classifier.name
        case .summarizer(let summarizer): summarizer.name
        case .translator(let translator): translator.name
        }
    }

    /// The same model for another thread (a classifier's scratch memory is per instance; summarizers and
    /// translators allocate per call).
    public func sibling() -> TaskModel {
        switch self {
        case .classifier(let classifier): .classifier(classifier.sibling())
        case .summarizer, .translator: self
        }
    }
}
