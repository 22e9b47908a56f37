/// When to hand the allocator's free memory back to the kernel: once a burst of documents is over.
///
/// A burst (a catch-up backlog, 50,000 files renamed into the inboxes) briefly holds its events, queue entries,
/// read buffers and annotations; freed, they leave holes between long-lived allocations (SQLite's page caches,
/// stream memories) that glibc keeps mapped — only the top of a heap is trimmed on free. Measured on 50,000 more
/// documents: 2 MB more in use, 28 MB more mapped. So the daemon asks for `malloc_trim` when the scheduler
/// has gone idle after enough documents, or after any documents once a while has passed (a slow trickle
/// fragments too, only slower). Idle, because trimming takes the allocator's locks and frees pages a busy
/// worker would fault in again at once. Idle means no document queued or in progress and no rescan check waiting.
///
/// Work is counted in documents; a rescan's ledger checks count too (`checksPerDocument` of them as one), since a
/// reconciliation or an overflow rescan of 100,000 files holds 40 MB of waiting checks and may find nothing new.
struct FreeMemoryRelease {
    /// Rescan checks counted as one document of work.
    static let checksPerDocument = 16
    /// Documents finished since the last release that make a burst.
    let burstDocuments: Int
    /// Seconds after which fewer documents are enough.
    let interval: Double
    private var workAtLastRelease = 0
    private var lastRelease: Double

    init(burstDocuments: Int = 256, interval: Double = 300, now: Double) {
        self.burstDocuments = burstDocuments
        self.interval = interval
        lastRelease = now
    }

    /// Called once a second with the running count of work done (documents finished, plus rescan checks); true
    /// when the caller should release free memory now (the release is then counted as done).
    mutating func shouldRelease(work: Int, idle: Bool, now: Double) -> Bool {
        guard idle, work > workAtLastRelease else { return false }
        guard work - workAtLastRelease >= burstDocuments || now - lastRelease >= interval else { return false }
        workAtLastRelease = work
        lastRelease = now
        return true
    }
}
