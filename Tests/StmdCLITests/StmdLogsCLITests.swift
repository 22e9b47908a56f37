import Foundation
import STMTesting
import Testing

/// `stmd train logs` and `stmd eval logs` / `eval templates` run as the built binary on small fixtures: key
/// sessions that follow a strict protocol, and raw syslog-like lines. Each test trains its own tiny model.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(5)))
struct StmdLogsCLITests {
    /// A session: open (1), 2–4 reads (2, 3 alternating), close (4), delete (5). After a read either another
    /// read or the close may come, hence g = 2 below.
    static func session(_ seed: Int) -> [Int] {
        [1] + (0..<(2 + seed % 3)).map { $0 % 2 == 0 ? 2 : 3 } + [4, 5]
    }

    static func write(_ sessions: [[Int]], to path: String) throws {
        try sessions.map { $0.map(String.init).joined(separator: " ") + "\n" }.joined().write(
            toFile: path, atomically: true, encoding: .utf8)
    }

    func trainKeys(_ folder: TemporaryDirectory, extra: [String] = []) async throws -> ProcessResult {
        try Self.write((0..<60).map(Self.session), to: folder.path + "/train")
        return try await Stmd.run(
            [
                "train", "logs", "--keys", "train", "--out", "model", "--hidden", "16", "--epochs", "20",
                "--batch-size", "8", "--learning-rate", "0.01",
            ]
                + extra, in: folder.path)
    }

    @Test func trainOnKeySessionsThenScoreHeldOutSessions() async throws {
        let folder = try TemporaryDirectory()
        let training = try await trainKeys(folder)
        try #require(training.exitedCleanly, "\(training)")
        for file in ["config.json", "weights.safetensors", "MODEL.md"] {
            #expect(FileManager.default.fileExists(atPath: folder.path + "/model/" + file), "missing \(file)")
        }
        #expect(training.stdoutLines.last == "model: model")
        #expect(training.stderr.contains("epoch 20: loss "))
        let card = try String(contentsOfFile: folder.path + "/model/MODEL.md", encoding: .utf8)
        #expect(card.contains("stmd train logs --keys train --out model"))

        try Self.write((100..<130).map(Self.session), to: folder.path + "/normal")
        let abnormal: [[Int]] = [
            [1, 2, 3],  // truncated: never closed
            [1, 2, 4, 2, 5],  // a read after close
            [1, 2, 3, 9, 4, 5],  // a key never seen
            [2, 3, 4, 5],  // no open
            [1, 2, 4],  // no delete
        ]
        try Self.write(abnormal, to: folder.path + "/abnormal")
        let eval = try await Stmd.run(
            [
                "eval", "logs", "--model", "model", "--normal", "normal", "--abnormal", "abnormal", "--candidates", "2",
                "--json",
            ],
            in: folder.path)
        try #require(eval.exitedCleanly, "\(eval)")
        let report = try JSON.object(eval.stdoutLines[0])
        #expect(report["false_positive_rate"] as? Double == 0, "\(report)")
        #expect(report["recall"] as? Double == 1, "\(report)")
        #expect(report["precision"] as? Double == 1, "\(report)")
        #expect(report["f1"] as? Double == 1, "\(report)")

        let text = try await Stmd.run(
            ["eval", "logs", "--model", "model", "--normal", "normal", "--abnormal", "abnormal"], in: folder.path)
        #expect(text.exitedCleanly, "\(text)")
        #expect(text.stdout.contains("sessions   5 abnormal, 30 normal"), "\(text.stdout)")
    }

    @Test func trainOnRawLinesMinesTemplatesAndScoresLabelledLines() async throws {
        let folder = try TemporaryDirectory()
        var lines: [String] = []
        for i in 0..<300 {
            lines.append(
                "- host sshd[\(100 + i)]: Accepted publickey for user\(i % 3) from 10.0.0.\(i % 250) port \(40000 + i)")
            lines.append("- host sshd[\(100 + i)]: session opened for user user\(i % 3) by (uid=0)")
            lines.append("- host sshd[\(100 + i)]: session closed for user user\(i % 3)")
        }
        try lines.joined(separator: "\n").write(toFile: folder.path + "/train.log", atomically: true, encoding: .utf8)
        let test = [
            "- host sshd[7]: Accepted publickey for user1 from 10.0.0.9 port 50000",
            "- host sshd[7]: session opened for user user1 by (uid=0)",
            "- host sshd[7]: session closed for user user1",
            "ANOM host sshd[8]: session opened for user user2 by (uid=0)",
            "ANOM host kernel: Out of memory: Killed process 4242 (postgres)",
        ]
        try test.joined(separator: "\n").write(toFile: folder.path + "/test.log", atomically: true, encoding: .utf8)
        let training = try await Stmd.run(
            [
                "train", "logs", "--data", "train.log", "--skip-fields", "3", "--out", "model", "--hidden", "16",
                "--epochs", "10",
                "--learning-rate", "0.01",
            ], in: folder.path)
        try #require(training.exitedCleanly, "\(training)")
        #expect(training.stderr.contains("templates: 3 from 900 lines"), "\(training.stderr)")
        let templates = try JSON.object(String(contentsOfFile: folder.path + "/model/templates.json", encoding: .utf8))
        let texts = (templates["templates"] as? [[String: Any]])?.compactMap {
            ($0["template"] as? [String: Any])?["tokens"] as? [String]
        }
        #expect(texts?.first == ["Accepted", "publickey", "for", "<*>", "from", "<*>", "port", "<*>"], "\(templates)")

        let eval = try await Stmd.run(
            ["eval", "logs", "--model", "model", "--labelled", "test.log", "--candidates", "1", "--json"],
            in: folder.path)
        try #require(eval.exitedCleanly, "\(eval)")
        let report = try JSON.object(eval.stdoutLines[0])
        #expect(report["recall"] as? Double == 1, "\(report)")
        #expect(report["false_positive_rate"] as? Double == 0, "\(report)")
    }

    @Test func trainOnAJournalExportMakesOneSequencePerUnit() async throws {
        let folder = try TemporaryDirectory()
        var export: [UInt8] = []
        func field(_ text: String) { export += Array((text + "\n").utf8) }
        for i in 0..<40 {
            field("__CURSOR=s=abc;i=\(i)")
            field("_SYSTEMD_UNIT=\(i % 2 == 0 ? "nginx.service" : "cron.service")")
            if i == 5 {
                // A binary field (a message with a newline): name, 64-bit little-endian length, bytes.
                let message = Array("worker \(i) crashed\nstack follows".utf8)
                export +=
                    Array("MESSAGE\n".utf8) + withUnsafeBytes(of: UInt64(message.count).littleEndian, Array.init)
                    + message + [10]
            } else {
                field("MESSAGE=\(i % 2 == 0 ? "GET /index.html 200 \(i) ms" : "job \(i) done")")
            }
            field("")
        }
        try Data(export).write(to: URL(fileURLWithPath: folder.path + "/export.txt"))
        let result = try await Stmd.run(
            ["train", "logs", "--data", "export.txt", "--out", "model", "--hidden", "8", "--epochs", "2"],
            in: folder.path)
        try #require(result.exitedCleanly, "\(result)")
        #expect(result.stderr.contains("templates: 3 from 40 lines"), "\(result.stderr)")
        #expect(result.stderr.contains("training on 2 sequences"), "\(result.stderr)")

        try Data(export + Array("MESSAGE\n".utf8) + [200, 0, 0, 0, 0, 0, 0, 0, 65, 10]).write(
            to: URL(fileURLWithPath: folder.path + "/broken.txt"))
        let broken = try await Stmd.run(["train", "logs", "--data", "broken.txt", "--out", "model2"], in: folder.path)
        #expect(broken.status == 1, "\(broken)")
        #expect(broken.stderr.contains("broken.txt:"), "\(broken.stderr)")
        #expect(broken.stderr.contains("claims 200 bytes"), "\(broken.stderr)")
    }

    @Test func badKeySessionsNameTheFileAndLine() async throws {
        let folder = try TemporaryDirectory()
        try "1 2 3\n1 two 3\n".write(toFile: folder.path + "/bad", atomically: true, encoding: .utf8)
        let result = try await Stmd.run(["train", "logs", "--keys", "bad", "--out", "model"], in: folder.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("bad:2: 'two' is not a log key"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/model"))

        let missing = try await Stmd.run(["eval", "logs", "--model", "nowhere", "--normal", "bad"], in: folder.path)
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("nowhere/config.json: no such file"), "\(missing.stderr)")
    }

    @Test func templateAccuracyAgainstAStructuredCSV() async throws {
        let folder = try TemporaryDirectory()
        let csv = """
            LineId,Content,EventId,EventTemplate
            1,Connection from 10.0.0.1 closed,E1,Connection from <*> closed
            2,Connection from 10.0.0.2 closed,E1,Connection from <*> closed
            3,"Disk full, 90% used",E2,"Disk full, <*> used"
            4,"Disk full, 95% used",E2,"Disk full, <*> used"
            5,Connection from 10.0.0.3 refused,E3,Connection from <*> refused

            """
        try csv.write(toFile: folder.path + "/Tiny_2k.log_structured.csv", atomically: true, encoding: .utf8)
        let result = try await Stmd.run(["eval", "templates", "Tiny_2k.log_structured.csv", "--json"], in: folder.path)
        try #require(result.exitedCleanly, "\(result)")
        let report = try JSON.object(result.stdoutLines[0])
        // "closed" and "refused" differ in one of four tokens: Drain at 0.5 joins them, so E1 and E3 are mixed
        // (3 of 5 lines wrong); at 0.8 they stay apart.
        #expect((report["systems"] as? [String: Double])?["Tiny"] == 0.4, "\(report)")
        let strict = try await Stmd.run(
            ["eval", "templates", "Tiny_2k.log_structured.csv", "--similarity", "0.8", "--json"], in: folder.path)
        #expect(try JSON.object(strict.stdoutLines[0])["mean"] as? Double == 1, "\(strict)")
    }
}
