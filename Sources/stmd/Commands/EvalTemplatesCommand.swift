import ArgumentParser
import Foundation
import STMLogs

/// `stmd eval templates`: Drain's grouping accuracy against loghub's ground truth (`*_structured.csv`).
struct EvalTemplatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "Grouping accuracy of the template miner on loghub structured CSV files.",
        discussion: """
            Each file is parsed on its own, line by line in order, from its `Content` column (the message without \
            the log header, as the loghub benchmark parses it) and compared with its `EventId` column.
            """
    )

    @Argument(help: ArgumentHelp("loghub `*_structured.csv` files.", valueName: "file"))
    var files: [String]

    @Option(help: "Drain: similarity threshold for joining a template.")
    var similarity: Double = 0.5

    @Option(help: "Drain: parse tree depth.")
    var depth: Int = 4

    @Flag(help: "List each mined template that mixes or splits true events, on stderr.")
    var details: Bool = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json: Bool = false

    func run() throws {
        let configuration = TemplateMinerConfiguration(depth: depth, similarityThreshold: similarity)
        if let problem = configuration.validationError { throw ValidationError(problem) }
        var results: [(name: String, lines: Int, templates: Int, truth: Int, accuracy: Double)] = []
        for path in files {
            let (contents, events) = try Self.readStructured(path)
            var miner = TemplateMiner(configuration: configuration)
            let parsed = contents.map { miner.add($0).templateId }
            if details { Self.printDetails(parsed: parsed, truth: events, miner: miner) }
            let name = URL(fileURLWithPath: path).lastPathComponent.replacingOccurrences(
                of: "_2k.log_structured.csv", with: "")
            results.append(
                (
                    name, parsed.count, miner.templateCount, Set(events).count,
                    GroupingAccuracy.measure(parsed: parsed, truth: events)
                ))
        }
        let mean = results.map(\.accuracy).reduce(0, +) / Double(max(results.count, 1))
        if json {
            var object: [String: Any] = ["mean": mean]
            object["systems"] = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.accuracy) })
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("system        lines  templates  true  accuracy")
            for r in results {
                print(
                    r.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + "  \(pad(r.lines, 5))  \(pad(r.templates, 9))  \(pad(r.truth, 4))  \(fixed(r.accuracy, 3))")
            }
            print("mean" + String(repeating: " ", count: 35) + fixed(mean, 3))
        }
    }

    /// Templates whose lines are not exactly one true event's lines, with the events they hold.
    static func printDetails(parsed: [Int], truth: [String], miner: TemplateMiner) {
        var byTemplate: [Int: [String: Int]] = [:]
        var truthSizes: [String: Int] = [:]
        for (id, event) in zip(parsed, truth) {
            byTemplate[id, default: [:]][event, default: 0] += 1
            truthSizes[event, default: 0] += 1
        }
        for (id, events) in byTemplate.sorted(by: { $0.key < $1.key }) {
            if events.count == 1, let (event, count) = events.first, truthSizes[event] == count { continue }
            let text = miner.template(id: id)?.text ?? "(unknown)"
            let mix = events.sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)/\(truthSizes[$0.key]!)" }
            printError("  \(id): \(text.prefix(100))  ←  \(mix.joined(separator: " "))")
        }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// The `Content` and `EventId` columns of a loghub structured CSV (RFC 4180 quoting).
    static func readStructured(_ path: String) throws -> (contents: [String], events: [String]) {
        let lines = try LogData.lines(of: path)
        guard let header = lines.first.map(fields) else { throw CommandFailure("\(path): empty file") }
        guard let content = header.firstIndex(of: "Content"), let event = header.firstIndex(of: "EventId") else {
            throw CommandFailure("\(path):1: no Content and EventId columns (not a loghub structured CSV)")
        }
        var contents: [String] = []
        var events: [String] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let row = fields(line)
            guard row.count == header.count else {
                throw CommandFailure("\(path):\(index + 1): \(row.count) fields, the header has \(header.count)")
            }
            contents.append(row[content])
            events.append(row[event])
        }
        return (contents, events)
    }

    static func fields(_ line: Substring) -> [String] {
        var out: [String] = []
        var field = ""
        var quoted = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                out.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        out.append(field)
        return out
    }
}
