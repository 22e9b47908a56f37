/// When to hand the allocator's free memory back to the kernel: once a burst of documents is over.
///
/// A burst (a catch-up backlog, 50,000 files renamed into the inboxes) briefly holds its events, queue entries,
/// read buffers and annotations; freed, they leave holes between long-lived allocations (SQLite's page caches,
/// stream memories) that glibc keeps mapped — only the top of a heap is trimmed on free. Measured on 50,000 more
/// documents: 2 MB more in use, 28 MB more mapped. So the daemon asks for `malloc_trim` when the scheduler
/// has gone idle after enough documents, or after any documents once a while has passed (a slow trickle
/// fragments too, only slower). Idle, because trimming takes the allocator's locks and frees pages a busy
/// worker would fault in again at once.
struct FreeMemoryRelease {
    /// Documents finished since the last release that make a burst.
    let burstDocuments: Int
    /// Seconds after which fewer documents are enough.
    let interval: Double
    private var finishedAtLastRelease = 0
    private var lastRelease: Double

    init(burstDocuments: Int = 256, interval: Double = 300, now: Double) {
        self.burstDocuments = burstDocuments
        self.interval = interval
        lastRelease = now
    }

    /// Called once a second with the scheduler's running count of finished documents; true when the caller
    /// should release free memory now (the release is then counted as done).
    mutating func shouldRelease(finished: Int, idle: Bool, now: Double) -> Bool {
        guard idle, finished > finishedAtLastRelease else { return false }
        guard finished - finishedAtLastRelease >= burstDocuments || now - lastRelease >= interval else { return false }
        finishedAtLastRelease = finished
        lastRelease = now
        return true
    }
}
