import Dispatch
import Foundation
import Glibc
import STMDaemon
import Logging
import STMTasks
import STMTensor


// stmd-memory-bench: what the stream-memory step adds to a document's processing time, in one process.
//
//   stmd-memory-bench --models Models --data train.tsv [--documents 4000] [--streams 10] [--batch 16]
//                     [--context-head topic-news-context] [--work DIR] [--keep yes] [--only off|on]
//
// Two real `DocumentPipeline`s with the daemon's default tasks (topic-news + sentiment-en), each with its own inbox,
// ledger and group commit: one with `[memory]` off, one with the default `[memory]` on. They process the same texts
// (document i of both has the same contents) in alternating batches of `--batch` (the daemon's worker batch), in the
// order off, on, on, off, … so a burst of load on this shared machine hits both alike. A batch's time runs from
// `process(batch:)` until the group commit has published its last output: read, hash, ledger lookup, annotation,
// JSON, temporary file + fsync, ledger commit, rename, mark — and with memory on, the memory step (turn, checkout,
// apply, context head when configured, the memory rows in the commit transaction, the larger JSON, the document
// vector pooled by the topic task). The per-pair ratio on/off is that step's relative cost.
// One JSON object on stdout. `--only off|on` runs one variant alone and prints its per-document times (no ratio): for
// `perf record`, which cannot tell the two variants apart when they share the thread.

var options: [String: String] = [:]
var argumentList = Array(CommandLine.arguments.dropFirst())
while argumentList.count >= 2, argumentList[0].hasPrefix("--") {
    options[String(argumentList[0].dropFirst(2))] = argumentList[1]
    argumentList.removeFirst(2)
}
guard argumentList.isEmpty, let modelsPath = options["models"], let dataPath = options["data"] else {
    FileHandle.standardError.write(
        Data("usage: stmd-memory-bench --models DIR --data TSV [--documents N] [--streams S] [--batch B] [--context-head NAME] [--work DIR]\n".utf8))
    exit(2)
}
let documentCount = Int(options["documents"] ?? "4000")!
let streamCount = Int(options["streams"] ?? "10")!
let batchSize = Int(options["batch"] ?? "16")!
let warmupPairs = 4
let work = options["work"] ?? NSTemporaryDirectory() + "stmd-memory-bench-\(getpid())"

@MainActor func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stmd-memory-bench: \(message)\n".utf8))
    exit(1)
}

/// The first column of each line of an AG News TSV.
@MainActor func loadTexts(_ path: String) -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    let texts = text.split(separator: "\n").compactMap { line in line.split(separator: "\t").first.map(String.init) }
    if texts.isEmpty { fail("no documents in \(path)") }
    return texts
}

/// One variant: its inbox, ledger and pipeline.
struct Variant {
    var name: String
    var root: String
    var pipeline: DocumentPipeline
    var tickets: [String: UInt64] = [:]
    var nanoseconds: [UInt64] = []
    /// The part of each batch until `process(batch:)` returned (the worker's share; the rest waits for the commit).
    var workerNanoseconds: [UInt64] = []
    /// The process's CPU time over each batch (every thread: the worker, the group commit, SQLite): unlike the
    /// wall time it does not grow when other processes take the cores.
    var cpuNanoseconds: [UInt64] = []
}

/// CPU time of the whole process so far.
func processCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

@MainActor func makeVariant(name: String, memory: Bool, models: [String: TaskModel], texts: [String], locator: ModelLocator) throws -> Variant {
    let base = work + "/" + name
    // One inbox for both variants, files side by side (`d7-off.txt`, `d7-on.txt`): ext4 allocates a folder's inodes
    // from its own block group, and creating a file costs more in a group with many recently deleted inodes (the
    // previous run's). With separate folders that cost fell on one variant more than the other, by chance, and moved
    // the ratio by several points from run to run.
    let root = work + "/inbox", state = base + "/state"
    for folder in [root, state] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    for index in 0..<documentCount {
        let stream = "s\(index % streamCount)"
        let folder = root + "/" + stream
        if index < streamCount { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let path = folder + "/d\(index)-\(name).txt"
        try Data((texts[index % texts.count] + "\nref \(index)\n").utf8).write(to: URL(fileURLWithPath: path))
        let time = Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 60)
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: path)
    }
    var configuration = DaemonConfiguration()
    configuration.memory.enabled = memory
    configuration.memory.contextHead = options["context-head"]
    let ledger = try Ledger(stateDirectory: state)
    let pipeline = DocumentPipeline(
        configuration: configuration, ledger: ledger, writer: OutputWriter(destination: .alongside),
        log: DaemonLog(level: .warning), version: "bench", models: models, counters: PipelineCounters())
    if memory {
        pipeline.memory = StreamMemoryEngine(
            ledger: ledger, configuration: configuration.memory,
            contextHead: try Daemon.loadContextHead(configuration, models: models, locator: locator))
    }
    pipeline.startGroupCommit()
    return Variant(name: name, root: root, pipeline: pipeline)
}

/// Processes documents `range` with `variant` on this thread and waits until the last is published.
@MainActor func run(_ variant: inout Variant, _ range: Range<Int>, state: DocumentPipeline.WorkerState) {
    let group = DispatchGroup()
    var batch: [(item: WorkItem, done: @Sendable () -> Void)] = []
    for index in range {
        let stream = "s\(index % streamCount)"
        let relative = Array("d\(index)-\(variant.name).txt".utf8)
        let location = DocumentLocation(root: variant.root, stream: stream, relativePath: relative)
        let ticket = variant.tickets[stream] ?? 0
        variant.tickets[stream] = ticket + 1
        let item = WorkItem(location: location, path: Array("\(variant.root)/\(stream)/d\(index)-\(variant.name).txt".utf8), trigger: "bench")
        group.enter()
        batch.append((item.numbered(ticket), { group.leave() }))
    }
    let started = DispatchTime.now().uptimeNanoseconds
    let cpuStarted = processCPUNanoseconds()
    let outcomes = variant.pipeline.process(batch: batch, state: state)
    variant.workerNanoseconds.append(DispatchTime.now().uptimeNanoseconds - started)
    group.wait()
    variant.nanoseconds.append(DispatchTime.now().uptimeNanoseconds - started)
    variant.cpuNanoseconds.append(processCPUNanoseconds() - cpuStarted)
    for outcome in outcomes where outcome != .handedOff && outcome != .published {
        fail("\(variant.name): a document ended \(outcome)")
    }
}

/// A 95 % interval of Σ on / Σ off, resampling the pairs with a fixed seed (the same run gives the same interval).
func bootstrapRatios(on: [Double], off: [Double], seed: UInt64) -> [Double] {
    var generator = SplitMix64(seed: seed)
    return (0..<2_000).map { _ -> Double in
        var sumOn = 0.0, sumOff = 0.0
        for _ in on.indices {
            let pick = Int(generator.next() % UInt64(on.count))
            sumOn += on[pick]
            sumOff += off[pick]
        }
        return sumOn / sumOff
    }.sorted()
}

@MainActor func quantile(_ sorted: [Double], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
}

@MainActor func rounded(_ value: Double, _ digits: Int = 4) -> Double {
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}

do {
    let texts = loadTexts(dataPath)
    let locator = ModelLocator(searchPath: [modelsPath])
    var configuration = DaemonConfiguration()
    configuration.memory.contextHead = options["context-head"]
    let models = try Daemon.loadModels(for: configuration, locator: locator)
    try? FileManager.default.removeItem(atPath: work)
    var off = try makeVariant(name: "off", memory: false, models: models, texts: texts, locator: locator)
    var on = try makeVariant(name: "on", memory: true, models: models, texts: texts, locator: locator)
    let offState = DocumentPipeline.WorkerState(), onState = DocumentPipeline.WorkerState()
    let load = { () -> Double in
        var averages = [Double](repeating: 0, count: 3)
        return getloadavg(&averages, 3) > 0 ? averages[0] : -1
    }
    let loadAtStart = load()
    if let only = options["only"] {
        guard only == "on" || only == "off" else { fail("--only takes off or on") }
        var variant = only == "on" ? on : off
        let state = only == "on" ? onState : offState
        for start in stride(from: 0, to: documentCount, by: batchSize) {
            run(&variant, start..<min(documentCount, start + batchSize), state: state)
        }
        variant.pipeline.finishGroupCommit()
        let perDocument = { (values: [UInt64]) in rounded(Double(values.reduce(0, +)) / 1e6 / Double(documentCount)) }
        print(
            "{\"variant\":\"\(only)\",\"ms_per_document\":\(perDocument(variant.nanoseconds)),"
                + "\"cpu_ms_per_document\":\(perDocument(variant.cpuNanoseconds))}")
        if options["keep"] == nil { try? FileManager.default.removeItem(atPath: work) }
        exit(0)
    }
    var pair = 0
    for start in stride(from: 0, to: documentCount, by: batchSize) {
        let range = start..<min(documentCount, start + batchSize)
        if pair % 2 == 0 {
            run(&off, range, state: offState)
            run(&on, range, state: onState)
        } else {
            run(&on, range, state: onState)
            run(&off, range, state: offState)
        }
        pair += 1
    }
    let loadAtEnd = load()
    off.pipeline.finishGroupCommit()
    on.pipeline.finishGroupCommit()
    let offTimes = off.nanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let onTimes = on.nanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let offWorker = off.workerNanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let onWorker = on.workerNanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let offCPU = off.cpuNanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let onCPU = on.cpuNanoseconds.dropFirst(warmupPairs).map { Double($0) }
    let ratios = zip(onTimes, offTimes).map { $0 / $1 }.sorted()
    // Ratios of summed times over ten consecutive stretches of the run: how much the estimate moves with the load.
    let stretch = max(1, onTimes.count / 10)
    let stretchRatios = stride(from: 0, to: onTimes.count - stretch + 1, by: stretch).map { first in
        onTimes[first..<first + stretch].reduce(0, +) / offTimes[first..<first + stretch].reduce(0, +)
    }.sorted()
    let bootstrap = bootstrapRatios(on: onTimes, off: offTimes, seed: 6)
    let cpuBootstrap = bootstrapRatios(on: onCPU, off: offCPU, seed: 7)
    let cpuRatio = onCPU.reduce(0, +) / offCPU.reduce(0, +)
    let documentsTimed = Double(onTimes.count * batchSize)
    let totalRatio = onTimes.reduce(0, +) / offTimes.reduce(0, +)
    let result: [String: Any] = [
        "documents_per_variant": documentCount, "streams": streamCount, "batch": batchSize,
        "context_head": options["context-head"] ?? "none", "pairs_timed": ratios.count, "warmup_pairs": warmupPairs,
        "ms_per_document_off": rounded(offTimes.reduce(0, +) / documentsTimed / 1e6),
        "ms_per_document_on": rounded(onTimes.reduce(0, +) / documentsTimed / 1e6),
        "worker_ms_per_document_off": rounded(offWorker.reduce(0, +) / documentsTimed / 1e6),
        "worker_ms_per_document_on": rounded(onWorker.reduce(0, +) / documentsTimed / 1e6),
        "cpu_ms_per_document_off": rounded(offCPU.reduce(0, +) / documentsTimed / 1e6),
        "cpu_ms_per_document_on": rounded(onCPU.reduce(0, +) / documentsTimed / 1e6),
        "cpu_ratio_of_totals": rounded(cpuRatio), "cpu_added_percent": rounded((cpuRatio - 1) * 100, 2),
        "cpu_ratio_of_totals_95": [rounded(quantile(cpuBootstrap, 0.025)), rounded(quantile(cpuBootstrap, 0.975))],
        "ratio_of_totals": rounded(totalRatio), "ratio_of_totals_95": [rounded(quantile(bootstrap, 0.025)), rounded(quantile(bootstrap, 0.975))], "added_percent": rounded((totalRatio - 1) * 100, 2),
        "pair_ratio_median": rounded(quantile(ratios, 0.5)), "pair_ratio_p25": rounded(quantile(ratios, 0.25)),
        "pair_ratio_p75": rounded(quantile(ratios, 0.75)), "pair_ratio_p5": rounded(quantile(ratios, 0.05)),
        "pair_ratio_p95": rounded(quantile(ratios, 0.95)),
        "stretch_ratios": stretchRatios.map { rounded($0) }, "load_start": rounded(loadAtStart, 2), "load_end": rounded(loadAtEnd, 2),
    ]
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
    if options["keep"] == nil { try? FileManager.default.removeItem(atPath: work) }
} catch {
    fail("\(error)")
}
