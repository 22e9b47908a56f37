internal import Glibc
public import STMTensor

extension SafetensorsFile {
    /// Reads and decodes the file at `path`; decoding errors come back as `invalidFile(path:reason:)`.
    public static func read(contentsOf path: String) throws(SafetensorsError) -> SafetensorsFile {
        let bytes = try FileSyscalls.readAll(path)
        do throws(SafetensorsError) {
            return try decode(bytes)
        } catch {
            throw .invalidFile(path: path, reason: error)
        }
    }

    /// Encodes as `encode(tensors:metadata:dtype:dtypes:)` does and replaces `path` atomically: readers see
    /// the old file or the new one, never a torn mix, even across a crash or power loss.
    public static func write(
        tensors: [String: Tensor],
        metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32,
        dtypes: [String: SafetensorsDType] = [:],
        to path: String
    ) throws(SafetensorsError) {
        let bytes = encode(tensors: tensors, metadata: metadata, dtype: dtype, dtypes: dtypes)
        try FileSyscalls.writeAtomically(bytes, to: path)
    }
}

/// The few system calls file reading and atomic replacement need, retrying `EINTR`.
enum FileSyscalls {
    static func readAll(_ path: String) throws(SafetensorsError) -> [UInt8] {
        let fd = try openFile(path, flags: O_RDONLY | O_CLOEXEC)
        // Nothing was written, so a failing close loses nothing; the read result stands.
        defer { _ = close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(path: path, errno: errno) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try retryOnInterrupt(path) {
                chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Temporary file in the same folder, `fsync`, `rename` over the target, `fsync` the folder: the
    /// rename is atomic within one file system, and the folder sync makes the new name durable.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(SafetensorsError) {
        let (folder, name) = split(path)
        let temporary = "\(folder)/.\(name).\(getpid()).\(String(UInt32.random(in: .min ... .max), radix: 16)).tmp"
        let fd = try openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o644)
        do throws(SafetensorsError) {
            try writeAll(bytes, to: fd, path: temporary)
            _ = try retryOnInterrupt(temporary) { fsync(fd) }
            guard close(fd) == 0 else { throw SafetensorsError.io(path: temporary, errno: errno) }
        } catch {
            // Best-effort cleanup on the failure path; the original error is the one worth reporting.
            _ = close(fd)
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            // Best-effort: the temporary file is useless once the rename failed.
            _ = unlink(temporary)
            throw .io(path: path, errno: code)
        }
        let folderFD = try openFile(folder, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // The folder was only read; close cannot lose data here.
        defer { _ = close(folderFD) }
        _ = try retryOnInterrupt(folder) { fsync(folderFD) }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(SafetensorsError) {
        var offset = 0
        while offset < bytes.count {
            let written = try retryOnInterrupt(path) {
                bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += written
        }
    }

    private static func openFile(_ path: String, flags: Int32, mode: mode_t = 0) throws(SafetensorsError) -> Int32 {
        Int32(try retryOnInterrupt(path) { Int(open(path, flags, mode)) })
    }

    /// Folder and last component; a bare name lives in the current folder.
    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// Runs `call` until it does not fail with `EINTR`; other failures (-1) become `io(path:errno:)`.
    private static func retryOnInterrupt<Result: BinaryInteger>(
        _ path: String,
        _ call: () -> Result
    ) throws(SafetensorsError) -> Int {
        while true {
            let result = call()
            if result >= 0 { return Int(result) }
            if errno != EINTR { throw .io(path: path, errno: errno) }
        }
    }
}
