import Glibc

extension DaemonConfiguration {
    /// The system-wide file, looked at after `$CONFIGURATION_DIRECTORY`; tests pass their own list.
    public static let systemPaths = ["/etc/stmd/stmd.toml"]

    /// The `source` `load` reports when no file was found.
    public static let builtInSource = "built-in defaults"

    /// The file to read, or nil for the built-in defaults: `--config` (which must exist: a typo there must not
    /// quietly fall back to the defaults), then `stmd.toml` in each folder of `$CONFIGURATION_DIRECTORY` (systemd's
    /// `ConfigurationDirectory=`, `:`-separated when it names several), then each of `systemPaths`.
    public static func locate(
        explicitPath: String?,
        environment: [String: String],
        systemPaths: [String] = systemPaths,
        fileExists: (String) -> Bool = entryExists
    ) throws(ConfigurationError) -> String? {
        if let explicitPath {
            guard !explicitPath.isEmpty, fileExists(explicitPath) else { throw .fileNotFound(path: explicitPath) }
            return explicitPath
        }
        let fromSystemd = (environment["CONFIGURATION_DIRECTORY"] ?? "")
            .split(separator: ":").map { $0.hasSuffix("/") ? "\($0)stmd.toml" : "\($0)/stmd.toml" }
        return (fromSystemd + systemPaths).first(where: fileExists)
    }

    /// The configuration and where it came from (a path, or `builtInSource`), so the daemon can log it.
    public static func load(
        explicitPath: String?,
        environment: [String: String],
        systemPaths: [String] = systemPaths,
        fileExists: (String) -> Bool = entryExists
    ) throws(ConfigurationError) -> (DaemonConfiguration, source: String) {
        let path = try locate(
            explicitPath: explicitPath, environment: environment, systemPaths: systemPaths, fileExists: fileExists)
        guard let path else { return (DaemonConfiguration(), builtInSource) }
        return (try read(path: path), path)
    }

    /// Reads and parses one file; errors name `path`.
    public static func read(path: String) throws(ConfigurationError) -> DaemonConfiguration {
        try parse(try readText(path: path), file: path)
    }

    /// Parses TOML text; `file` is the name errors give it.
    public static func parse(_ text: String, file: String = "stmd.toml") throws(ConfigurationError)
        -> DaemonConfiguration
    {
        try ConfigurationParser.parse(text, file: file)
    }

    /// Whether anything is at `path` (`lstat`): a dangling symlink or a folder counts, so it is reported when read
    /// rather than skipped in favour of the next place.
    public static func entryExists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// The file's text. Opened non-blocking so a FIFO in its place cannot hang start-up, and refused unless it is a
    /// regular file of UTF-8.
    static func readText(path: String) throws(ConfigurationError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .unreadable(path: path, reason: "it is a directory")
        default: throw .unreadable(path: path, reason: "not a regular file")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }
}
