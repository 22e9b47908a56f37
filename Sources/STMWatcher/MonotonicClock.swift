internal import Glibc

/// CLOCK_MONOTONIC in nanoseconds: the watcher's timers (settle, maximum wait, polling) only compare instants.
enum MonotonicClock {
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
