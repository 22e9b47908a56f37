import Glibc

/// Writes outputs atomically: a reader sees no output or a complete one, never a partial file.
///
/// `prepare` writes the bytes to a hidden temporary file in the final output's folder (created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0644 less the umask) and fsyncs it; `publish` renames it over the final
/// name and fsyncs the folder. The ledger commit goes between the two (see `Ledger`). Names are raw bytes from
/// end to end, and every folder below the configured root is opened without following links, so an output
/// never lands outside its stream folder or output root.
///
/// The methods block on `fsync`; call them from a thread that may block, not from the cooperative pool.
public struct OutputWriter: Sendable {
    /// Where outputs go.
    public enum Destination: Sendable, Hashable {
        /// Beside the input: `<root>/<stream>/<path>.stm.json`.
        case alongside
        /// Under a separate root mirroring the inbox: `<output root>/<stream>/<path>.stm.json`. Stream names
        /// are unique across inbox roots, so the mirror needs no root component. The output root must exist;
        /// folders below it are created as needed.
        case outputRoot(String)
    }

    public let destination: Destination

    public init(destination: Destination = .alongside) {
        self.destination = destination
    }

    /// The final output path for a document, without touching the file system.
    public func outputPath(for location: DocumentLocation, kind: OutputKind) throws -> [UInt8] {
        try target(for: location, kind: kind).outputPath
    }

    /// Writes `json` to a new hidden temporary file beside the final output, completely, and fsyncs it.
    ///
    /// Nothing is visible under the final name until `publish`. On failure the temporary file is removed.
    public func prepare(json: [UInt8], for location: DocumentLocation, kind: OutputKind) throws -> PreparedOutput {
        let written = try write(json: json, for: location, kind: kind)
        if let error = sync(written) {
            discard(written.prepared)
            throw error
        }
        return written.prepared
    }

    /// `prepare`'s first half: the temporary file written completely and left open, not yet fsynced, so its
    /// fsync (`sync`) can run while the ledger commits the batch (the group committer renames only after both).
    /// On failure the temporary file is removed.
    public func write(json: [UInt8], for location: DocumentLocation, kind: OutputKind) throws -> WrittenOutput {
        let target = try target(for: location, kind: kind)
        let folder = try target.openFolder()
        defer { FileCalls.close(folder) }
        var generator = SystemRandomNumberGenerator()
        while true {
            let name = OutputNaming.temporaryName(for: location.name, kind: kind, random: generator.next())
            let path = PathBytes.join([target.directory, name])
            let (fd, code) = FileCalls.tryOpen(
                name, in: folder, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644)
            if fd < 0 && code == EEXIST { continue }  // 64 random bits taken: draw again
            guard fd >= 0 else {
                throw OutputError.system(operation: "open", path: PathBytes.render(path), errno: code)
            }
            do throws(OutputError) {
                try FileCalls.writeAll(fd, json, path: path)
            } catch {
                FileCalls.close(fd)
                // Best effort: a leftover hidden temporary file is deleted by the next recovery anyway.
                FileCalls.unlink(name, in: folder)
                throw error
            }
            let prepared = PreparedOutput(location: location, kind: kind, json: json, temporaryName: name, target: target)
            return WrittenOutput(prepared: prepared, descriptor: fd)
        }
    }

    /// `prepare`'s second half: fsyncs the temporary file and closes it. Returns the failure, if any; the file
    /// stays (remove it with `discard`).
    public func sync(_ written: WrittenOutput) -> OutputError? {
        defer { FileCalls.close(written.descriptor) }
        do throws(OutputError) {
            try FileCalls.sync(written.descriptor, path: written.prepared.temporaryPath)
            return nil
        } catch {
            return error
        }
    }

    /// Renames the temporary file to the final name, removes the document's output of the other kind (a
    /// stale `.stm.error.json` once the annotation exists, or the reverse), and fsyncs the folder.
    ///
    /// Removing the other kind is best effort: the new output is already in place when it runs.
    public func publish(_ prepared: PreparedOutput) throws {
        let target = prepared.target
        let folder = try target.openFolder()
        defer { FileCalls.close(folder) }
        try FileCalls.rename(prepared.temporaryName, to: target.outputName, in: folder, path: target.outputPath)
        try finishPublishing(in: folder, target: target, kind: prepared.kind)
    }

    /// Publishes a batch: every rename first, then one fsync per folder rather than one per output (the
    /// batch a group commit just stored usually shares a few folders).
    ///
    /// - Returns: per output, in order, nil when it is published (renamed, folder fsynced) or why it is not.
    ///   A failed output's row stays `committed`: mark only the published ones, and either retry the others
    ///   or leave them to the next start's recovery.
    public func publish(_ batch: [PreparedOutput]) -> [OutputError?] {
        var results = [OutputError?](repeating: nil, count: batch.count)
        var folders: [[UInt8]: (fd: Int32, target: OutputTarget, members: [Int])] = [:]
        defer { for folder in folders.values { FileCalls.close(folder.fd) } }
        for (index, prepared) in batch.enumerated() {
            do throws(OutputError) {
                let directory = prepared.target.directory
                if folders[directory] == nil {
                    folders[directory] = (try prepared.target.openFolder(), prepared.target, [])
                }
                let fd = folders[directory]!.fd
                try FileCalls.rename(
                    prepared.temporaryName, to: prepared.target.outputName, in: fd, path: prepared.outputPath)
                removeOtherKind(in: fd, target: prepared.target, kind: prepared.kind)
                folders[directory]!.members.append(index)
            } catch {
                results[index] = error
            }
        }
        for folder in folders.values {
            do throws(OutputError) {
                try FileCalls.sync(folder.fd, path: folder.target.directory, isFolder: true)
            } catch {
                for index in folder.members { results[index] = error }
            }
        }
        return results
    }

    /// Deletes a prepared output's temporary file (a batch that could not be committed). Best effort: recovery
    /// deletes any temporary file left behind.
    public func discard(_ prepared: PreparedOutput) {
        guard let folder = try? prepared.target.openFolder() else { return }
        FileCalls.unlink(prepared.temporaryName, in: folder)
        FileCalls.close(folder)
    }

    /// After the rename: drop the other kind's output, then make both changes durable.
    func finishPublishing(in folder: Int32, target: OutputTarget, kind: OutputKind) throws(OutputError) {
        removeOtherKind(in: folder, target: target, kind: kind)
        try FileCalls.sync(folder, path: target.directory, isFolder: true)
    }

    /// Best effort: the new output is already in place, and a leftover of the other kind is only stale.
    private func removeOtherKind(in folder: Int32, target: OutputTarget, kind: OutputKind) {
        let otherName = Array(target.outputName.dropLast(kind.suffix.count)) + kind.other.suffix
        if otherName.count <= OutputNaming.maximumNameLength { FileCalls.unlink(otherName, in: folder) }
    }

    /// Where the output of `location` goes, after validating every name on the way.
    func target(for location: DocumentLocation, kind: OutputKind) throws(OutputError) -> OutputTarget {
        let (folders, name) = try location.validatedComponents()
        // The watcher ignores these; refusing them here too means no output of an output, whatever happens.
        guard !OutputNaming.isDaemonFile(name) else {
            throw .invalidName(
                path: PathBytes.render(location.inputPath), reason: "the daemon's own output or temporary file")
        }
        let outputName = name + kind.suffix
        guard outputName.count <= OutputNaming.maximumNameLength else {
            throw .nameTooLong(path: PathBytes.render(PathBytes.join([location.inputPath]) + kind.suffix))
        }
        let stream = Array(location.stream.utf8)
        switch destination {
        case .alongside:
            return OutputTarget(
                base: Array(location.root.utf8), folders: [stream] + folders, outputName: outputName,
                createsFolders: false)
        case .outputRoot(let root):
            return OutputTarget(
                base: Array(root.utf8), folders: [stream] + folders, outputName: outputName, createsFolders: true)
        }
    }

    /// The bytes of a regular file in an open folder, or nil when it is missing or not a regular file (recovery
    /// compares them with the JSON the ledger stored).
    func readRegularFile(_ name: [UInt8], in folder: Int32, path: [UInt8]) throws(OutputError) -> [UInt8]? {
        let (fd, code) = FileCalls.tryOpen(name, in: folder, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if code == ENOENT || code == ELOOP { return nil }
            throw .system(operation: "open", path: PathBytes.render(path), errno: code)
        }
        defer { FileCalls.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, FileCalls.isRegularFile(info) else { return nil }
        return try FileCalls.readAll(fd, path: path)
    }
}
