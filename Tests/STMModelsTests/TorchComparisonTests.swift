import Foundation
import Testing

/// The engine against PyTorch itself: `Scripts/reference/torch_compare.py` rebuilds each reference fixture with
/// `nn.RNN` (tanh), `nn.GRU`, `nn.LSTM` or `F.linear` + `F.cross_entropy` and writes torch's outputs, final states,
/// loss and autograd gradients; the engine must match them as it matches the NumPy reference. Torch has no
/// sigmoid RNN, so the elman-sigmoid fixtures are left to `ReferenceTests`.
///
/// Needs a Python that can `import torch`: `STMD_TORCH_PYTHON`, else `~/.cache/stmd/venv/bin/python`.
/// Without one the suite is skipped with the message below, never failed; `make torch-check` installs one.
@Suite(
    .enabled(
        if: TorchPython.executable != nil,
        """
        PyTorch not installed: run `make torch-check` (installs torch into ~/.cache/stmd/venv), or set \
        STMD_TORCH_PYTHON to a python that can `import torch`
        """),
    .timeLimit(.minutes(2))
)
struct TorchComparisonTests {
    static let caseNames = ReferenceFixtures.caseNames().filter { !$0.hasPrefix("elman-sigmoid") }

    @Test(arguments: caseNames)
    func engineMatchesPyTorch(_ name: String) throws {
        let python = try #require(TorchPython.executable)
        let fixture = try ReferenceFixtures.load(name)
        let directory = FileManager.default.temporaryDirectory.appending(path: "stmd-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Best-effort cleanup of a scratch folder under the system temporary directory.
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appending(path: "\(name).json")

        let run = try TorchPython.run(
            python,
            [
                TorchPython.script.path(percentEncoded: false),
                ReferenceFixtures.url(of: name).path(percentEncoded: false),
                output.path(percentEncoded: false),
            ])
        try #require(run.status == 0, "torch_compare.py exited with \(run.status):\n\(run.output)")
        let torch = try JSONDecoder().decode(TorchResult.self, from: Data(contentsOf: output))
        #expect(torch.case == name)

        let result = try ReferenceEngine.run(fixture)
        var check = ReferenceEngine.tensorCheck()
        ReferenceEngine.compare(result, with: torch.expected, using: &check)
        Attachment.record(
            "torch \(torch.torch)\n" + check.summary.joined(separator: "\n") + "\n", named: "\(name)-torch.txt")
    }
}

/// What `torch_compare.py` writes.
struct TorchResult: Decodable, Sendable {
    let generator: String
    let `case`: String
    /// `torch.__version__`.
    let torch: String
    let expected: ReferenceExpectation
}

/// Finds and runs a Python interpreter with PyTorch.
enum TorchPython {
    /// The first of `STMD_TORCH_PYTHON` and `~/.cache/stmd/venv/bin/python` that can `import torch`; nil if none.
    /// Evaluated once, when the suite's `.enabled(if:)` trait is.
    static let executable: URL? = {
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["STMD_TORCH_PYTHON"], !path.isEmpty {
            candidates.append(URL(filePath: path))
        }
        // `~` as a shell expands it: $HOME first, then the account's home directory.
        let home =
            ProcessInfo.processInfo.environment["HOME"].map { URL(filePath: $0, directoryHint: .isDirectory) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        candidates.append(home.appending(path: ".cache/stmd/venv/bin/python"))
        return candidates.first { candidate in
            guard FileManager.default.isExecutableFile(atPath: candidate.path(percentEncoded: false)) else {
                return false
            }
            return (try? run(candidate, ["-c", "import torch"]).status) == 0
        }
    }()

    /// `Scripts/reference/torch_compare.py` in the package this file belongs to.
    static var script: URL {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Scripts/reference/torch_compare.py")
    }

    /// Runs `executable arguments…` to completion; returns its exit status and its stdout and stderr together.
    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read to the end before waiting, so a chatty child never blocks on a full pipe.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
