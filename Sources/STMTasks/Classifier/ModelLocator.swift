internal import Foundation

/// Where models are looked up, the same for every command: an explicit `--model DIR` / `--models DIR`, then
/// `$STMD_MODELS`, then the repository's `Models/` beside the executable's build tree (found from the
/// executable's real path, so a `swift build` binary finds them from any working directory), then the
/// installed `<prefix>/share/stmd/models`.
public struct ModelLocator: Sendable {
    /// Folders searched for `<name>/config.json`, in order.
    public let searchPath: [String]

    public init(searchPath: [String]) {
        self.searchPath = searchPath
    }

    /// The standard search path for an executable at `executablePath`.
    /// - Parameters:
    ///   - explicitFolders: `--models DIR` options, searched first.
    ///   - environment: the process environment (`STMD_MODELS` may hold several folders separated by `:`).
    public static func standard(
        explicitFolders: [String] = [], environment: [String: String], executablePath: String?
    ) -> ModelLocator {
        var folders = explicitFolders
        if let value = environment["STMD_MODELS"], !value.isEmpty {
            folders += value.split(separator: ":").map(String.init)
        }
        if let executablePath {
            let real = Self.realPath(executablePath)
            // <repo>/.build/<triple>/<config>/stmd or <repo>/.build/<config>/stmd: walk up to the folder
            // that holds `Package.swift` and `Models/`.
            var folder = Self.parent(real)
            for _ in 0..<5 {
                if FileManager.default.fileExists(atPath: folder + "/Package.swift"),
                    FileManager.default.fileExists(atPath: folder + "/Models")
                {
                    folders.append(folder + "/Models")
                    break
                }
                folder = Self.parent(folder)
                if folder == "/" { break }
            }
            // <prefix>/bin/stmd → <prefix>/share/stmd/models
            folders.append(Self.parent(Self.parent(real)) + "/share/stmd/models")
        }
        var seen = Set<String>()
        return ModelLocator(searchPath: folders.filter { seen.insert($0).inserted })
    }

    /// A model given as a folder path (anything containing `/`, or an existing folder with a `config.json`)
    /// or as a name found on the search path.
    public func locate(_ nameOrPath: String) throws(ModelLoadError) -> String {
        if nameOrPath.contains("/") || FileManager.default.fileExists(atPath: nameOrPath + "/" + ClassifierBundle.configurationName) {
            guard FileManager.default.fileExists(atPath: nameOrPath + "/" + ClassifierBundle.configurationName) else {
                throw .unreadable(path: nameOrPath, reason: "not a model folder (no \(ClassifierBundle.configurationName))")
            }
            return nameOrPath
        }
        for folder in searchPath where FileManager.default.fileExists(atPath: folder + "/" + nameOrPath + "/" + ClassifierBundle.configurationName) {
            return folder + "/" + nameOrPath
        }
        throw .notFound(name: nameOrPath, searched: searchPath)
    }

    /// Every model folder on the search path (first occurrence of each name wins), sorted by name.
    public func installedModels() -> [(name: String, directory: String)] {
        var found: [String: String] = [:]
        for folder in searchPath {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for entry in entries.sorted() where found[entry] == nil {
                if FileManager.default.fileExists(atPath: folder + "/" + entry + "/" + ClassifierBundle.configurationName) {
                    found[entry] = folder + "/" + entry
                }
            }
        }
        return found.sorted { $0.key < $1.key }.map { (name: $0.key, directory: $0.value) }
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
