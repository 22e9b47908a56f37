/// Why a model's parameters could not be written to or loaded from a file; every case names the file.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read or written, or is not valid safetensors (the error carries the path).
    case safetensors(SafetensorsError)
    /// The file is valid but does not fit the model: a key is missing or a shape differs.
    case parameters(path: String, ParameterLoadError)

    public var description: String {
        switch self {
        case .safetensors(let error):
            return error.description
        case .parameters(let path, let error):
            return "\(path): \(error)"
        }
    }
}
