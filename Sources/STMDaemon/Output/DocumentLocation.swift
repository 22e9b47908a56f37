/// Where a document lives: an inbox root, its stream (a first-level folder of the root) and the path below the
/// stream folder.
///
/// The path is raw bytes because a Linux file name is any bytes but `/` and NUL; a `String` round trip would
/// silently change a name that is not UTF-8. The root and stream are configuration the daemon already holds as
/// text. Nested folders are allowed (`sub/dir/name.txt`), but no component may be empty, `.` or `..`, so a path
/// derived from a location never leaves its stream folder.
public struct DocumentLocation: Sendable, Hashable {
    /// The inbox root as configured (it may be, or lie under, a symbolic link).
    public var root: String
    /// The stream: one folder name directly under `root`.
    public var stream: String
    /// The document's path relative to the stream folder, `/`-separated, as raw bytes.
    public var relativePath: [UInt8]

    public init(root: String, stream: String, relativePath: [UInt8]) {
        self.root = root
        self.stream = stream
        self.relativePath = relativePath
    }

    /// A location whose relative path is text (tests, and names the daemon already holds as text).
    public init(root: String, stream: String, relativePath: String) {
        self.init(root: root, stream: stream, relativePath: Array(relativePath.utf8))
    }

    /// The document's file name: the last component of `relativePath`.
    public var name: [UInt8] {
        PathBytes.split(relativePath).name
    }

    /// `root/stream/relativePath`, the input file's full path.
    public var inputPath: [UInt8] {
        PathBytes.join([Array(root.utf8), Array(stream.utf8), relativePath])
    }

    /// The folders between the stream folder and the document, and its name, after checking every component.
    ///
    /// - Throws: `OutputError.invalidName` for an empty path or stream, a leading or doubled `/`, a component that
    ///   is `.` or `..`, or a NUL byte.
    public func validatedComponents() throws(OutputError) -> (folders: [[UInt8]], name: [UInt8]) {
        try PathBytes.validateComponent(Array(stream.utf8), in: Array(stream.utf8), what: "stream")
        guard !relativePath.isEmpty else {
            throw .invalidName(path: PathBytes.render(relativePath), reason: "the path is empty")
        }
        let components = relativePath.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map(Array.init)
        for component in components {
            try PathBytes.validateComponent(component, in: relativePath, what: "path component")
        }
        return (Array(components.dropLast()), components[components.count - 1])
    }
}
