import Foundation
import STMLogs
import STMTensor

// Throughput of the log path, one thread: tokenize + mask + Drain template, then the detector's step (two
// LSTM steps, the scores, the top-g check). Input: every loghub 2k sample (16 systems), each system one stream,
// read into memory once and replayed `--rounds` times so the miner is warm (the steady state of a daemon).
// Usage: stmd-logs-bench DATA_DIR [--rounds N] [--hidden H] [--json]

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: stmd-logs-bench LOGHUB_DIR [--rounds N] [--hidden H] [--json]\n".utf8))
    exit(2)
}
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1])
    else { return fallback }
    return value
}
let rounds = option("--rounds", 20)
let hidden = option("--hidden", 64)
let json = arguments.contains("--json")
let root = arguments[1]
let systems = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() ?? []
var streams: [(name: String, lines: [[UInt8]])] = []
for system in systems {
    let path = "\(root)/\(system)/\(system)_2k.log"
    guard let data = FileManager.default.contents(atPath: path) else { continue }
    let lines = data.split(separator: UInt8(ascii: "\n")).map { line in
        Array(line.last == 13 ? line.dropLast() : line[...])
    }
    streams.append((system, lines))
}
guard !streams.isEmpty else {
    FileHandle.standardError.write(Data("no <System>/<System>_2k.log files under \(root)\n".utf8))
    exit(1)
}
let linesPerRound = streams.reduce(0) { $0 + $1.lines.count }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Runs `body` over every line of every stream `rounds` times; returns lines per second.
func measure(
    _ streams: [(name: String, lines: [[UInt8]])], rounds: Int, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void
) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    for _ in 0..<rounds {
        for (index, stream) in streams.enumerated() {
            for line in stream.lines { line.withUnsafeBufferPointer { body(index, $0) } }
            count += stream.lines.count
        }
    }
    return Double(count) / seconds(clock.now - start)
}

// 1. Template mining alone (warm: the first round creates the templates).
var miners = streams.map { _ in TemplateMiner() }
var checksum = 0
let templatesOnly = measure(streams, rounds: rounds) { index, line in
    checksum &+= miners[index].add(bytes: line).templateId
}

// 2. The full path: template + detector step. The detectors' weights are random (a step costs the same
// whatever the weights); the vocabulary holds every template the miners found, so every line is scored.
var detectors: [LogAnomalyDetector] = miners.map { miner in
    let model = NextKeyModel(classCount: miner.templateCount + 17, embeddingSize: 16, hiddenSize: hidden)
    var generator = SplitMix64(seed: 1)
    return LogAnomalyDetector(
        model: model, parameters: model.makeParameters(using: &generator),
        vocabulary: TemplateVocabulary(capacity: miner.templateCount + 17, templateIds: miner.templates.map(\.id)))
}
var anomalies = 0
let full = measure(streams, rounds: rounds) { index, line in
    let id = miners[index].add(bytes: line).templateId
    if detectors[index].observe(id).isAnomalous { anomalies += 1 }
}

// 3. The detector step alone, on the template ids of the full path.
let ids = streams.indices.map { index in
    streams[index].lines.map { line in line.withUnsafeBufferPointer { miners[index].add(bytes: $0).templateId } }
}
let clock = ContinuousClock()
let start = clock.now
for _ in 0..<rounds {
    for index in ids.indices { for id in ids[index] where detectors[index].observe(id).isAnomalous { anomalies += 1 } }
}
let stepOnly = Double(rounds * linesPerRound) / seconds(clock.now - start)

let templates = miners.reduce(0) { $0 + $1.templateCount }
if json {
    print(
        #"{"lines_per_round": \#(linesPerRound), "rounds": \#(rounds), "hidden": \#(hidden), "templates": \#(templates), "#
            + #""template_lines_per_second": \#(Int(templatesOnly)), "step_lines_per_second": \#(Int(stepOnly)), "#
            + #""full_lines_per_second": \#(Int(full)), "kernels": "\#(KernelISA.current)"}"#)
} else {
    print(
        "\(streams.count) streams, \(linesPerRound) lines × \(rounds) rounds, \(templates) templates, LSTM hidden \(hidden), kernels \(KernelISA.current)"
    )
    print("template mining only        \(Int(templatesOnly)) lines/s")
    print("detector step only          \(Int(stepOnly)) lines/s")
    print("template + detector step    \(Int(full)) lines/s")
}
FileHandle.standardError.write(Data("(checksum \(checksum), anomalies \(anomalies))\n".utf8))
