internal import CSTMKernels

/// Process-wide allocator settings for the numeric work.
public enum Allocator {
    /// Keeps glibc from serving large tensors with fresh `mmap`s: by default every allocation of 128 KiB or more
    /// (a `[32, 1024]` gate matrix) maps new pages and every free unmaps them, so each training step paid for page
    /// faults and zeroing of tens of megabytes (17% of a train32 LSTM-256 profile). With these thresholds freed
    /// memory is reused instead.
    public static func reuseFreedMemory() { stm_reuse_freed_memory() }

    /// For the daemon: large blocks mapped and unmapped (a fixed threshold, not glibc's sliding one, which
    /// after a few large frees keeps every later block on the heap), free heap trimmed, two arenas.
    public static func boundResidentMemory() { stm_bound_resident_memory() }

    /// Hands free heap pages back to the kernel (`malloc_trim`): the daemon calls it once models are loaded.
    public static func releaseFreeMemory() { stm_release_free_memory() }
}
