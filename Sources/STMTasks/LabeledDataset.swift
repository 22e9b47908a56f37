public import Foundation

/// One labelled text, with where it came from (`file:line`, or the file for one-document-per-file data).
public struct LabeledExample: Sendable, Equatable {
    public var text: String
    public var label: String
    public var source: String

    public init(text: String, label: String, source: String) {
        self.text = text
        self.label = label
        self.source = source
    }
}

/// The layouts `stmd train` and `stmd eval` read.
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// `DIR/<label>/<file>`: every file one example (BBC News).
    case folders
    /// `text<TAB>label` per line; the label is after the last tab (AG News).
    case tsv
    /// `__label__<label> text` per line (fastText); several `__label__` prefixes keep the first.
    case fastText
    /// `<label> text` per line: the first whitespace-separated token is the label (SST-2, TREC).
    case firstToken
}

/// Something wrong with the input, located to the file and line a person has to open.
public struct DatasetIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    /// What the issue is about, for callers that treat some issues differently.
    public enum Kind: Sendable { case general, singleExampleLabel }
    public var severity: Severity
    public var location: String
    public var message: String
    public var kind: Kind = .general

    public init(severity: Severity, location: String, message: String, kind: Kind = .general) {
        self.severity = severity
        self.location = location
        self.message = message
        self.kind = kind
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

public enum DatasetError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case cannotDetectFormat(path: String)
    case invalid([DatasetIssue])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .cannotDetectFormat(let path):
            return "\(path): cannot tell the format (no tab, no __label__ prefix); pass --format "
                + DatasetFormat.allCases.map(\.rawValue).joined(separator: "|")
        case .invalid(let issues):
            let errors = issues.filter { $0.severity == .error }
            let shown = errors.prefix(20).map(\.description).joined(separator: "\n")
            return shown + (errors.count > 20 ? "\n… and \(errors.count - 20) more errors" : "")
        }
    }
}

/// A labelled text collection read from disk. Loading never stops at the first bad line: it collects every
/// issue with its location, fails if any is an error (malformed line, empty label, empty file, no examples),
/// and keeps the warnings (bytes that are not UTF-8, a label with a single example) for the caller to print.
public struct LabeledDataset: Sendable {
    public private(set) var examples: [LabeledExample]
    /// Labels in sorted order: the class index of a label is its position here.
    public private(set) var labels: [String]
    public private(set) var warnings: [DatasetIssue]

    public init(examples: [LabeledExample], warnings: [DatasetIssue] = []) {
        self.examples = examples
        self.labels = Set(examples.map(\.label)).sorted()
        self.warnings = warnings
    }

    public func classIndex(of label: String) -> Int? { labels.firstIndex(of: label) }

    /// Reads `path` in `format` (nil: a directory is `.folders`; a file is `.fastText` when its first line starts
    /// with `__label__`, `.tsv` when it has a tab).
    public static func load(path: String, format: DatasetFormat? = nil) throws(DatasetError) -> LabeledDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file or directory")
        }
        var issues: [DatasetIssue] = []
        var examples: [LabeledExample] = []
        if isDirectory.boolValue {
            guard format == nil || format == .folders else {
                throw .unreadable(path: path, reason: "is a directory, but --format \(format!.rawValue) reads a file")
            }
            examples = try readFolders(path, issues: &issues)
        } else {
            let lines = try readLines(path, issues: &issues)
            let chosen: DatasetFormat
            if let format { chosen = format } else { chosen = try detect(path, lines: lines) }
            examples = parse(lines, path: path, format: chosen, issues: &issues)
        }
        if examples.isEmpty && !issues.contains(where: { $0.severity == .error }) {
            issues.append(DatasetIssue(severity: .error, location: path, message: "no examples"))
        }
        var counts: [String: Int] = [:]
        for example in examples { counts[example.label, default: 0] += 1 }
        for (label, count) in counts.sorted(by: { $0.key < $1.key }) where count == 1 {
            let source = examples.first { $0.label == label }!.source
            issues.append(DatasetIssue(
                severity: .warning, location: source,
                message: "label '\(label)' has a single example: it cannot appear in both training and validation",
                kind: .singleExampleLabel))
        }
        if issues.contains(where: { $0.severity == .error }) { throw .invalid(issues) }
        return LabeledDataset(examples: examples, warnings: issues)
    }

    private static func detect(_ path: String, lines: [String]) throws(DatasetError) -> DatasetFormat {
        guard let first = lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            return .tsv  // empty: parse() reports it
        }
        if first.hasPrefix("__label__") { return .fastText }
        if first.contains("\t") { return .tsv }
        throw .cannotDetectFormat(path: path)
    }

    /// Lines of a text file; invalid UTF-8 is decoded with U+FFFD and reported per line.
    private static func readLines(_ path: String, issues: inout [DatasetIssue]) throws(DatasetError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or not a regular file")
        }
        if data.isEmpty {
            issues.append(DatasetIssue(severity: .error, location: path, message: "empty file"))
            return []
        }
        var lines: [String] = []
        for (index, slice) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var bytes = Array(slice)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            if String(validating: bytes, as: UTF8.self) == nil {
                issues.append(DatasetIssue(
                    severity: .warning, location: "\(path):\(index + 1)",
                    message: "bytes that are not UTF-8 were replaced with U+FFFD"))
            }
            lines.append(String(decoding: bytes, as: UTF8.self))
        }
        if lines.last == "" { lines.removeLast() }  // the final newline
        return lines
    }

    private static func parse(
        _ lines: [String], path: String, format: DatasetFormat, issues: inout [DatasetIssue]
    ) -> [LabeledExample] {
        var examples: [LabeledExample] = []
        for (index, line) in lines.enumerated() {
            let location = "\(path):\(index + 1)"
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields: (text: Substring, label: Substring)?
            switch format {
            case .tsv:
                fields = line.lastIndex(of: "\t").map { (line[..<$0], line[line.index(after: $0)...]) }
            case .fastText:
                guard line.hasPrefix("__label__") else {
                    fields = nil
                    break
                }
                var rest = line.dropFirst("__label__".count)
                let label = rest.prefix { !$0.isWhitespace }
                rest = rest.dropFirst(label.count)
                // Further labels are kept out of the text (multi-label lines keep the first).
                var text = rest.drop { $0.isWhitespace }
                while text.hasPrefix("__label__") {
                    text = text.drop { !$0.isWhitespace }.drop { $0.isWhitespace }
                }
                fields = (text, label)
            case .firstToken:
                let trimmed = line.drop { $0.isWhitespace }
                let label = trimmed.prefix { !$0.isWhitespace }
                fields = (trimmed.dropFirst(label.count).drop { $0.isWhitespace }, label)
            case .folders:
                fields = nil
            }
            guard let (rawText, rawLabel) = fields else {
                let expected = format == .tsv ? "text<TAB>label" : "__label__<label> text"
                issues.append(DatasetIssue(severity: .error, location: location, message: "malformed line: expected \(expected)"))
                continue
            }
            let label = rawLabel.trimmingCharacters(in: .whitespaces)
            let text = rawText.trimmingCharacters(in: .whitespaces)
            if label.isEmpty {
                issues.append(DatasetIssue(severity: .error, location: location, message: "empty label"))
            } else if text.isEmpty {
                issues.append(DatasetIssue(severity: .error, location: location, message: "empty text for label '\(label)'"))
            } else {
                examples.append(LabeledExample(text: text, label: label, source: location))
            }
        }
        return examples
    }

    private static func readFolders(_ path: String, issues: inout [DatasetIssue]) throws(DatasetError) -> [LabeledExample] {
        let manager = FileManager.default
        let labels: [String]
        do {
            labels = try manager.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        var examples: [LabeledExample] = []
        for label in labels {
            let folder = path + "/" + label
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                issues.append(DatasetIssue(
                    severity: .warning, location: folder, message: "not a folder: ignored (labels are folders)"))
                continue
            }
            let files = ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            for file in files {
                let filePath = folder + "/" + file
                guard let data = manager.contents(atPath: filePath) else {
                    issues.append(DatasetIssue(severity: .error, location: filePath, message: "cannot read"))
                    continue
                }
                if String(validating: Array(data), as: UTF8.self) == nil {
                    issues.append(DatasetIssue(
                        severity: .warning, location: filePath, message: "bytes that are not UTF-8 were replaced with U+FFFD"))
                }
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty {
                    issues.append(DatasetIssue(severity: .error, location: filePath, message: "empty file"))
                } else {
                    examples.append(LabeledExample(text: text, label: label, source: filePath))
                }
            }
        }
        return examples
    }
}
