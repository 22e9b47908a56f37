import Glibc

extension DaemonConfiguration {
    /// Checks what needs the inbox roots, which come from the command line: the folders stmd writes into
    /// (`failed_directory`, `output_root`, `state_directory`) must not be an inbox root or lie inside one, or the
    /// daemon would watch its own writes as a stream. Paths are compared after resolving symlinks as far as they
    /// exist, so `/srv/inbox` and a symlink to it are the same root.
    public func validate(inboxRoots: [String]) throws(ConfigurationError) {
        var written: [(key: String, path: String)] = []
        if case .move(let directory) = failed { written.append(("failed_directory", directory)) }
        if case .root(let path) = output { written.append(("output_root", path)) }
        if let stateDirectory { written.append(("state_directory", stateDirectory)) }
        var problems: [ConfigurationError] = []
        for (key, path) in written {
            let resolved = Self.resolvedPath(path)
            for root in inboxRoots {
                let resolvedRoot = Self.resolvedPath(root)
                if resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot == "/" ? "/" : resolvedRoot + "/") {
                    problems.append(.insideInbox(key: key, path: path, inboxRoot: root))
                    break
                }
            }
        }
        switch problems.count {
        case 0: return
        case 1: throw problems[0]
        default: throw .several(problems)
        }
    }

    /// An absolute, lexically normal path (relative ones against the working directory) with the longest
    /// existing prefix's symlinks resolved by `realpath(3)`.
    static func resolvedPath(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            if let workingDirectory = getcwd(nil, 0) {
                absolute = String(cString: workingDirectory) + "/" + path
                free(workingDirectory)
            }
        }
        var components: [Substring] = []
        for component in absolute.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        // Resolve the longest prefix that exists; the rest does not exist yet and so holds no symlinks.
        for prefixLength in stride(from: components.count, through: 0, by: -1) {
            let prefix = "/" + components[..<prefixLength].joined(separator: "/")
            guard let real = realpath(prefix, nil) else { continue }
            defer { free(real) }
            let rest = components[prefixLength...].joined(separator: "/")
            let base = String(cString: real)
            if rest.isEmpty { return base }
            return base == "/" ? "/" + rest : base + "/" + rest
        }
        return "/" + components.joined(separator: "/")
    }
}
