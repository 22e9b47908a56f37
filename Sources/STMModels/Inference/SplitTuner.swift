#if canImport(Glibc)
import Glibc
#endif

/// Decides by measurement whether splitting a batch-1 step over two threads pays.
///
/// A split step exchanges data between the cores every few microseconds, and what that costs depends on where
/// the hypervisor placed the vCPUs: measured here, the same 2-thread run of GRU-256 gave 214k tokens/s in one
/// placement and 113k (below one thread's 176k) in another. So the runner times both ways on live documents,
/// keeps the faster, and measures again every `reprobeInterval` documents.
struct SplitTuner {
    static let trialsPerMode = 4
    static let reprobeInterval = 512

    private var seconds: [Double] = [0, 0]
    private var tokens: [Int] = [0, 0]
    private var trials = 0
    private var chosen: Bool?
    private var sinceProbe = 0

    /// Whether the next document should split its steps.
    mutating func nextSplit() -> Bool {
        if let chosen {
            sinceProbe += 1
            if sinceProbe < Self.reprobeInterval { return chosen }
            self = SplitTuner()
        }
        return trials % 2 == 0
    }

    mutating func record(split: Bool, seconds elapsed: Double, tokens count: Int) {
        guard chosen == nil else { return }
        let mode = split ? 1 : 0
        seconds[mode] += elapsed
        tokens[mode] += count
        trials += 1
        if trials >= 2 * Self.trialsPerMode {
            chosen = seconds[1] / Double(max(tokens[1], 1)) < seconds[0] / Double(max(tokens[0], 1))
            sinceProbe = 0
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
