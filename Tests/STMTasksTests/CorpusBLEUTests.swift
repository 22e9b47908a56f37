import Foundation
import STMTasks
import STMTesting
import Testing

/// Corpus BLEU against hand-worked cases and, where the venv has it, against sacrebleu itself.
struct CorpusBLEUTests {
    @Test func tokenizes13aLikeMteval() {
        #expect(CorpusBLEU.tokenize13a("Ein Mann, der 3.5 km läuft.") == ["Ein", "Mann", ",", "der", "3.5", "km", "läuft", "."])
        #expect(CorpusBLEU.tokenize13a("(Hello) \"world\"! 1990-2000 e-mail") == ["(", "Hello", ")", "\"", "world", "\"", "!", "1990", "-", "2000", "e-mail"])
        #expect(CorpusBLEU.tokenize13a("it's &amp; a &lt;b&gt;") == ["it's", "&", "a", "<", "b", ">"])
        #expect(CorpusBLEU.tokenize13a("   ") == [])
    }

    @Test func identicalTextScoresHundredAndDisjointScoresZero() {
        let references = ["A man rides a horse on the beach.", "Two dogs play in the snow."]
        #expect(abs(CorpusBLEU(hypotheses: references, references: references).score - 100) < 1e-9)
        let disjoint = CorpusBLEU(hypotheses: ["xx yy zz qq", "pp oo"], references: references)
        // No n-gram matches: sacrebleu's exp smoothing still gives 100/(2^k·total) per order, and the BP applies.
        #expect(disjoint.matches == [0, 0, 0, 0] && disjoint.totals == [6, 4, 2, 1] && disjoint.referenceLength == 16)
        let smoothed = exp(1 - 16.0 / 6) * exp((log(100.0 / 12) + log(100.0 / 16) + log(100.0 / 16) + log(100.0 / 16)) / 4)
        #expect(abs(disjoint.score - smoothed) < 1e-9)
    }

    /// One hypothesis, worked by hand: 6 tokens vs 7; 1-grams 5/6, 2-grams 3/5, 3-grams 2/4, 4-grams 1/3;
    /// BP = exp(1 − 7/6).
    @Test func matchesAHandWorkedScore() {
        let bleu = CorpusBLEU(hypotheses: ["the cat sat on a mat"], references: ["the cat sat on the red mat"])
        #expect(bleu.matches == [5, 3, 2, 1] && bleu.totals == [6, 5, 4, 3])
        let expected = exp(1 - 7.0 / 6) * exp((log(500.0 / 6) + log(60.0) + log(50.0) + log(100.0 / 3)) / 4)
        #expect(abs(bleu.score - expected) < 1e-9)
    }

    @Test func agreesWithSacrebleu() throws {
        let python = NSHomeDirectory() + "/.cache/stmd/venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("skipped: no venv at \(python)")
            return
        }
        let hypotheses = [
            "Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee,während es schneit.", "", "Eine Frau (30) liest 3,5 Bücher.",
            "Kinder spielen am Strand.", "Ein Mann - mit Hut - steht 1990-2000 da.", "Leute & \"Dinge\" <hier>!",
        ]
        let references = [
            "Ein Mann fährt ein Fahrrad.", "Zwei Hunde spielen im Schnee.", "Ein leerer Satz.", "Eine Frau liest 3,5 Bücher.",
            "Die Kinder spielen am Strand.", "Ein Mann mit Hut steht da.", "Leute &amp; Dinge hier!",
        ]
        let directory = try TemporaryDirectory()
        try Data(hypotheses.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory.path + "/hyp"))
        try Data(references.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory.path + "/ref"))
        let script = """
            import sys
            try:
                import sacrebleu
            except ImportError:
                print("absent"); sys.exit(0)
            h = open(sys.argv[1], encoding="utf-8").read().split("\\n")
            r = open(sys.argv[2], encoding="utf-8").read().split("\\n")
            print(repr(sacrebleu.corpus_bleu(h, [r]).score))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, directory.path + "/hyp", directory.path + "/ref"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard output != "absent" else {
            print("skipped: sacrebleu is not installed in the venv")
            return
        }
        let expected = try #require(Double(output), "sacrebleu printed \(output)")
        let ours = CorpusBLEU(hypotheses: hypotheses, references: references).score
        #expect(abs(ours - expected) < 1e-9, "ours \(ours), sacrebleu \(expected)")
    }
}
