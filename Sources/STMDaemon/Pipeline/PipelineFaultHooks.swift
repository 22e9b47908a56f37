import Glibc

/// Faults for the document pipeline, from the same `STMD_FAULTS` list the watcher reads (debug builds only):
/// - `hang-worker:GLOB` — a worker that takes a document whose name matches GLOB never returns, so tests can
///   show that the systemd watchdog stops being fed when the pipeline stops making progress.
/// - `die-after-judging:GLOB` — the process exits at once (as if killed) after a `kind = "lines"` file matching GLOB
///   has been judged and its detector state committed, before its output is published: the crash window that
///   the stored lines report closes.
/// - `fail-output-sync:GLOB` — the fsync of a matching document's temporary output file reports EIO (after the
///   file is handed to the group commit, so its ledger row is committed before the failure is known).
/// - `slow-scan-check:MS` — each ledger check of a file a scan reported (the catch-up, rescans) first sleeps MS
///   milliseconds, so tests can see what a catch-up of a very large inbox does (`EXTEND_TIMEOUT_USEC=`).
///
/// `remainder` is the list without these items, for `WatcherFaultHooks`.
struct PipelineFaultHooks {
    var hangingNames: [String] = []
    var dyingAfterJudging: [String] = []
    var failingSyncNames: [String] = []
    var slowScanCheckMilliseconds = 0
    var remainder = ""

    init(specification: String) {
        var rest: [Substring] = []
        for token in specification.split(separator: ",", omittingEmptySubsequences: true) {
            let item = token.trimmingCharacters(in: " ")
            if item.hasPrefix("hang-worker:"), item.count > "hang-worker:".count {
                hangingNames.append(String(item.dropFirst("hang-worker:".count)))
            } else if item.hasPrefix("die-after-judging:"), item.count > "die-after-judging:".count {
                dyingAfterJudging.append(String(item.dropFirst("die-after-judging:".count)))
            } else if item.hasPrefix("fail-output-sync:"), item.count > "fail-output-sync:".count {
                failingSyncNames.append(String(item.dropFirst("fail-output-sync:".count)))
            } else if item.hasPrefix("slow-scan-check:"), let milliseconds = Int(item.dropFirst("slow-scan-check:".count)) {
                slowScanCheckMilliseconds = max(0, milliseconds)
            } else {
                rest.append(item)
            }
        }
        remainder = rest.joined(separator: ",")
    }

    static func fromEnvironment() -> PipelineFaultHooks {
        #if DEBUG
            guard let raw = getenv("STMD_FAULTS") else { return PipelineFaultHooks(specification: "") }
            return PipelineFaultHooks(specification: String(cString: raw))
        #else
            return PipelineFaultHooks(specification: "")
        #endif
    }

    static func matches(_ name: [UInt8], _ globs: [String]) -> Bool {
        guard !globs.isEmpty else { return false }
        let text = String(decoding: name, as: UTF8.self)
        return globs.contains { fnmatch($0, text, 0) == 0 }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var slice = self
        while slice.first == set { slice.removeFirst() }
        while slice.last == set { slice.removeLast() }
        return slice
    }
}
