import Foundation
import STMLogs

/// The log inputs of `stmd train logs` and `stmd eval logs`: key sessions and raw log files.
enum LogData {
    /// DeepLog's session format: one session per line, space-separated positive integer keys. Empty lines are
    /// skipped; anything else that is not a key is an error naming the file and line.
    static func readSessions(_ path: String) throws -> [[Int]] {
        var sessions: [[Int]] = []
        for (index, line) in try lines(of: path).enumerated() {
            var session: [Int] = []
            for field in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                guard let key = Int(field), key > 0 else {
                    throw CommandFailure("\(path):\(index + 1): '\(field)' is not a log key (a positive integer)")
                }
                session.append(key)
            }
            if !session.isEmpty { sessions.append(session) }
        }
        if sessions.isEmpty { throw CommandFailure("\(path): no sessions (one per line, space-separated keys)") }
        return sessions
    }

    /// The lines of a text file (invalid UTF-8 replaced), without terminators.
    static func lines(of path: String) throws -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(
                "\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")")
        }
        // Split on bytes: as a String, "\r\n" is one Character and would not split at "\n".
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if data.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines.map { line in
            Substring(String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self))
        }
    }

    /// `line` without its first `count` white-space separated fields (a log header: date, host, level…).
    static func message(_ line: Substring, skippingFields count: Int) -> Substring {
        guard count > 0 else { return line }
        var rest = line[...]
        for _ in 0..<count {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            rest = rest.drop { $0 != " " && $0 != "\t" }
        }
        return rest.drop { $0 == " " || $0 == "\t" }
    }
}

extension LogData {
    /// Scores key sessions: each one a fresh sequence, flagged when any key or its end is anomalous. Prints
    /// up to `showMisses` misclassified sessions to stderr.
    static func scoreSessions(
        detector: inout LogAnomalyDetector, normal: String?, abnormal: String?, showMisses: Int = 0
    ) throws -> DetectionCounts {
        var counts = DetectionCounts()
        var shown = 0
        for (path, isAbnormal) in [(normal, false), (abnormal, true)] {
            guard let path else { continue }
            for session in try readSessions(path) {
                detector.startStream()
                var flagged = false
                for key in session where detector.observe(key).isAnomalous { flagged = true }
                if let end = detector.endStream(), end.isAnomalous { flagged = true }
                counts.add(flagged: flagged, abnormal: isAbnormal)
                if flagged != isAbnormal && shown < showMisses {
                    shown += 1
                    printError(
                        "\(isAbnormal ? "missed" : "false alarm"): \(session.map(String.init).joined(separator: " "))")
                }
            }
        }
        return counts
    }
}

/// Session-level detection scores: a positive is an abnormal session; a session is flagged when any of its
/// lines is anomalous.
struct DetectionCounts: Encodable {
    var truePositives = 0
    var falsePositives = 0
    var trueNegatives = 0
    var falseNegatives = 0

    mutating func add(flagged: Bool, abnormal: Bool) {
        switch (flagged, abnormal) {
        case (true, true): truePositives += 1
        case (true, false): falsePositives += 1
        case (false, false): trueNegatives += 1
        case (false, true): falseNegatives += 1
        }
    }

    var precision: Double { ratio(truePositives, truePositives + falsePositives) }
    var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
    var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    var falsePositiveRate: Double { ratio(falsePositives, falsePositives + trueNegatives) }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
}
