import Glibc

/// `failed = "move"`: a document that cannot be processed is moved out of the inbox to
/// `<failed_directory>/<stream>/<relative path>`, so it is never taken again and the inbox holds only what
/// worked. The file is renamed, never rewritten: its bytes are untouched. A rename across file systems is not
/// possible (EXDEV); the caller then falls back to an error output beside the input.
struct FailedFileMover: Sendable {
    let directory: String

    /// Moves the input; returns the destination, or the errno that stopped it.
    func move(_ location: DocumentLocation) -> Result<String, MoveError> {
        let components = location.relativePath.split(separator: UInt8(ascii: "/")).map(Array.init)
        guard !components.isEmpty, !components.contains(where: { $0 == Array(".".utf8) || $0 == Array("..".utf8) }) else {
            return .failure(MoveError(code: EINVAL))
        }
        var folder = Array(directory.utf8)
        for part in [Array(location.stream.utf8)] + components.dropLast() {
            folder += [UInt8(ascii: "/")] + part
            let cFolder = folder.map { CChar(bitPattern: $0) } + [0]
            if mkdir(cFolder, 0o755) != 0 && errno != EEXIST { return .failure(MoveError(code: errno)) }
        }
        var target = folder + [UInt8(ascii: "/")] + components[components.count - 1]
        let source = location.inputPath.map { CChar(bitPattern: $0) } + [0]
        // Never overwrite an earlier failed file of the same name: add a counter.
        var counter = 1
        while access(target.map { CChar(bitPattern: $0) } + [0], F_OK) == 0 {
            counter += 1
            target = folder + [UInt8(ascii: "/")] + components[components.count - 1] + Array(".\(counter)".utf8)
        }
        let cTarget = target.map { CChar(bitPattern: $0) } + [0]
        guard rename(source, cTarget) == 0 else { return .failure(MoveError(code: errno)) }
        return .success(String(decoding: target, as: UTF8.self))
    }

    struct MoveError: Error {
        let code: Int32
        var description: String { String(cString: strerror(code)) }
    }
}
