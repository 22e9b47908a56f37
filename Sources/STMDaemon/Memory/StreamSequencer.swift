import Glibc

/// Lets the memory steps of one stream run in the order the scheduler handed its documents out, whatever worker
/// took them: the scheduler numbers each stream's documents as they are taken (`StreamScheduler.nextNumbered`),
/// a worker waits for its document's turn before the memory step, and every number is passed exactly once —
/// after the memory step, or at once for a document that never reaches it (unchanged, unreadable, skipped).
///
/// No deadlock: a worker only waits for smaller numbers, which are held by workers that are not waiting for it
/// (a worker handles its batch in order).
final class StreamSequencer: @unchecked Sendable {
    // Guarded by `mutex`.
    private var next: [String: UInt64] = [:]
    private var passedEarly: [String: Set<UInt64>] = [:]
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Blocks until every smaller number of `stream` has been passed.
    func waitForTurn(stream: String, ticket: UInt64) {
        pthread_mutex_lock(&mutex)
        while (next[stream] ?? 0) != ticket { pthread_cond_wait(&condition, &mutex) }
        pthread_mutex_unlock(&mutex)
    }

    /// Marks `ticket` done (it may be ahead of its turn: a document that needs no memory step).
    func pass(stream: String, ticket: UInt64) {
        pthread_mutex_lock(&mutex)
        var current = next[stream] ?? 0
        if ticket == current {
            current += 1
            var early = passedEarly[stream] ?? []
            while early.remove(current) != nil { current += 1 }
            passedEarly[stream] = early.isEmpty ? nil : early
            next[stream] = current
            pthread_cond_broadcast(&condition)
        } else if ticket > current {
            passedEarly[stream, default: []].insert(ticket)
        }
        pthread_mutex_unlock(&mutex)
    }
}
