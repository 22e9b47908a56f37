import Foundation
import Glibc
import Logging

/// Group commit: workers hand over outputs they have written (`OutputWriter.write`), and this thread commits
/// whatever has gathered in ONE ledger transaction, renames the batch with one folder fsync per folder, and
/// marks the batch published in one more transaction. Under load a batch holds tens of documents, so the two
/// WAL fsyncs and the folder fsyncs are paid per batch instead of per document, while an idle daemon still
/// publishes a lone document at once (no timer: a batch is simply what arrived meanwhile).
///
/// A worker hands its output over before fsyncing the temporary file, and fsyncs it while this thread commits
/// (`SyncTicket`): the rename waits for both, so the protocol's order holds (file and row durable before the
/// name appears), and an idle drop pays one fsync's latency where it paid two. The row may be durable before
/// the file: `Recovery` renames a temporary file only when it holds exactly the stored JSON.
///
/// Each document's `done` runs after its output is published (or has failed): the scheduler only then lets the
/// same path be queued again, so a second event for a file in flight cannot process it twice.
///
/// An output whose row is committed but whose temporary file could not be fsynced or renamed is not annotated
/// again (the protocol's promise once step 2 is done, which keeps stream memory's count exact): its row stays
/// `committed`, and this thread publishes it from the stored JSON later, as `Recovery` does at start-up, with
/// the retry policy's backoff. Only this thread publishes, so such a retry never races another version's output.
final class OutputCommitter: @unchecked Sendable {
    /// A place in the commit order, taken before the output is written: stream memory reserves it in the
    /// document's turn (so a stream's changes are committed in the order they were made) and fills it after
    /// writing the temporary file, outside the turn. The committer takes only a filled prefix of the queue.
    final class Slot: @unchecked Sendable {
        // Guarded by the committer's mutex.
        fileprivate var pending: Pending?
        /// Filled without an output: the memory change of a document whose output could not be written.
        fileprivate var memoryOnly: (update: MemoryUpdate, done: @Sendable () -> Void)?
        fileprivate var isFilled: Bool { pending != nil || memoryOnly != nil }
    }

    struct Pending: Sendable {
        var output: CommittedOutput
        var display: String
        /// The document's log entry, written once its output is published.
        var entry: DocumentLogEntry
        var done: @Sendable () -> Void
        /// The temporary file's fsync, when the worker runs it after handing the output over (nil: already done).
        var sync: SyncTicket? = nil
    }

    /// The outcome of one temporary file's fsync, which its worker reports with `resolve`.
    final class SyncTicket: @unchecked Sendable {
        // Guarded by the committer's mutex.
        fileprivate var finished = false
        fileprivate var error: OutputError?
    }

    private let ledger: Ledger
    private let writer: OutputWriter
    private let log: DaemonLog
    private let counters: PipelineCounters
    private let retryDelay: TimeInterval
    private let maximumRetryDelay: TimeInterval
    /// Committed outputs to publish again from the ledger (this thread's own: never touched by others).
    private var unpublished: [(token: CommitToken, display: String, due: Date, delay: TimeInterval)] = []
    /// Workers wait when this many outputs are waiting: memory stays bounded if the disk is slow.
    private let capacity = 1024
    private var queue: [Slot] = []
    private var closed = false
    private var mutex = pthread_mutex_t()
    private var notEmpty = pthread_cond_t()
    private var notFull = pthread_cond_t()
    private var syncFinished = pthread_cond_t()
    private var thread: WorkerThreads?

    init(
        ledger: Ledger, writer: OutputWriter, log: DaemonLog, counters: PipelineCounters, retryDelay: TimeInterval,
        maximumRetryDelay: TimeInterval
    ) {
        self.ledger = ledger
        self.writer = writer
        self.log = log
        self.counters = counters
        self.retryDelay = retryDelay
        self.maximumRetryDelay = max(retryDelay, maximumRetryDelay)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&notEmpty, nil)
        pthread_cond_init(&notFull, nil)
        pthread_cond_init(&syncFinished, nil)
        thread = WorkerThreads(count: 1, name: "stmd-commit") { [self] _ in loop() }
    }

    deinit {
        pthread_cond_destroy(&syncFinished)
        pthread_cond_destroy(&notFull)
        pthread_cond_destroy(&notEmpty)
        pthread_mutex_destroy(&mutex)
    }

    func submit(_ pending: Pending) {
        fill(reserve(), with: pending)
    }

    /// Takes the next place in the commit order (waits while the queue is full).
    func reserve() -> Slot {
        let slot = Slot()
        pthread_mutex_lock(&mutex)
        while queue.count >= capacity && !closed { pthread_cond_wait(&notFull, &mutex) }
        queue.append(slot)
        pthread_mutex_unlock(&mutex)
        return slot
    }

    func fill(_ slot: Slot, with pending: Pending) {
        pthread_mutex_lock(&mutex)
        slot.pending = pending
        pthread_cond_signal(&notEmpty)
        pthread_mutex_unlock(&mutex)
    }

    /// Fills a slot whose output failed with its memory change alone, stored in its place in the order.
    func fill(_ slot: Slot, memoryOnly update: MemoryUpdate, done: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(&mutex)
        slot.memoryOnly = (update, done)
        pthread_cond_signal(&notEmpty)
        pthread_mutex_unlock(&mutex)
    }

    /// Reports a handed-over output's fsync (`error` nil: durable). Call it once per ticket, after `fill`.
    func resolve(_ ticket: SyncTicket, error: OutputError?) {
        pthread_mutex_lock(&mutex)
        ticket.finished = true
        ticket.error = error
        pthread_cond_broadcast(&syncFinished)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits until every output of `batch` is fsynced (or has failed to be); returns each one's failure.
    private func awaitSyncs(_ batch: [Pending]) -> [OutputError?] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while batch.contains(where: { $0.sync.map { !$0.finished } ?? false }) {
            pthread_cond_wait(&syncFinished, &mutex)
        }
        return batch.map { $0.sync?.error }
    }

    /// Publishes everything submitted so far, then stops the thread.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_broadcast(&notEmpty)
        pthread_cond_broadcast(&notFull)
        pthread_mutex_unlock(&mutex)
        thread?.join()
        thread = nil
    }

    private func loop() {
        while true {
            pthread_mutex_lock(&mutex)
            // Workers fill every slot they reserve before they stop, and `close` comes after they have.
            while (queue.isEmpty && !closed) || (!queue.isEmpty && !queue[0].isFilled) {
                guard let due = unpublished.map(\.due).min() else {
                    pthread_cond_wait(&notEmpty, &mutex)
                    continue
                }
                if due <= Date() { break }
                var deadline = timespec()
                let seconds = due.timeIntervalSince1970
                deadline.tv_sec = Int(seconds)
                deadline.tv_nsec = Int((seconds - Double(Int(seconds))) * 1e9)
                pthread_cond_timedwait(&notEmpty, &mutex, &deadline)
            }
            if queue.isEmpty && closed {
                // What is still unpublished stays committed in the ledger: the next start's recovery publishes it.
                pthread_mutex_unlock(&mutex)
                return
            }
            let ready = queue.prefix(256).prefix { $0.isFilled }
            let taken = ready.map { ($0.pending, $0.memoryOnly) }
            queue.removeFirst(ready.count)
            pthread_cond_broadcast(&notFull)
            pthread_mutex_unlock(&mutex)
            // Outputs in runs, each run one transaction; a memory-only change in its place between runs.
            var run: [Pending] = []
            for (pending, memoryOnly) in taken {
                if let pending {
                    run.append(pending)
                } else if let memoryOnly {
                    if !run.isEmpty { commit(run) }
                    run = []
                    storeMemoryOnly(memoryOnly.update)
                    memoryOnly.done()
                }
            }
            if !run.isEmpty { commit(run) }
            republishDue()
        }
    }

    /// Publishes the committed outputs whose retry is due from their stored JSON, with `Recovery`'s own step.
    private func republishDue() {
        let now = Date()
        let due = unpublished.filter { $0.due <= now }
        guard !due.isEmpty else { return }
        unpublished.removeAll { $0.due <= now }
        for entry in due {
            do {
                guard let row = try ledger.record(id: entry.token.id), row.generation == entry.token.generation,
                    row.status == .committed
                else { continue }  // Published or superseded meanwhile.
                var report = RecoveryReport()
                try Recovery(ledger: ledger, writer: writer).recoverOrAbandon(row, report: &report, now: now)
                if report.abandoned > 0 {
                    log.warning("\(entry.display): output not published and the input is gone; given up")
                } else {
                    counters.published()
                    log.info("\(entry.display): output published from the ledger after an earlier failure")
                }
            } catch {
                noteUnpublished(entry.token, display: entry.display, error)
                let delay = min(entry.delay * 2, maximumRetryDelay)
                log.warning("\(entry.display): output still not published (\(error)); next attempt in \(Int(delay)) s")
                unpublished.append((entry.token, entry.display, now.addingTimeInterval(delay), delay))
            }
        }
    }

    private func commit(_ batch: [Pending]) {
        defer { for pending in batch { pending.done() } }
        let tokens: [CommitToken]
        do {
            tokens = try ledger.commit(batch.map(\.output))
        } catch {
            _ = awaitSyncs(batch)
            log.warning("ledger: a batch of \(batch.count) outputs could not be committed (\(error)); they will be retried")
            for pending in batch { fail(pending, error) }
            return
        }
        // Only outputs whose temporary file is durable are renamed; the others' rows stay committed, and their
        // outputs are published from the ledger later (`republishDue`).
        let syncProblems = awaitSyncs(batch)
        let durable = batch.indices.filter { syncProblems[$0] == nil }
        var problems = syncProblems
        for (index, problem) in zip(durable, writer.publish(durable.map { batch[$0].output.prepared })) {
            problems[index] = problem
        }
        var published: [CommitToken] = []
        for (index, pending) in batch.enumerated() {
            if let problem = problems[index] {
                // Committed: published later from the ledger, never annotated again.
                writer.discard(pending.output.prepared)
                log.warning(
                    "\(pending.display): output not written: \(problem); publishing it from the ledger in \(Int(retryDelay)) s")
                noteUnpublished(tokens[index], display: pending.display, problem)
                unpublished.append((tokens[index], pending.display, Date().addingTimeInterval(retryDelay), retryDelay))
            } else {
                published.append(tokens[index])
                counters.published()
                log.log(log.documentLevel, pending.entry.message, metadata: pending.entry.metadata)
            }
        }
        do {
            try ledger.markPublished(published)
        } catch {
            // The outputs are in place; their rows stay `committed` until the next start's recovery marks them.
            log.warning("ledger: \(published.count) outputs published but not marked (\(error)); recovery will mark them")
        }
    }

    /// Best effort: the error shows in `stmd status` until the output is published.
    private func noteUnpublished(_ token: CommitToken, display: String, _ error: any Error) {
        do {
            try ledger.noteUnpublished(token, error: String(describing: error))
        } catch {
            log.warning("ledger: \(display): the publication error could not be recorded (\(error))")
        }
    }

    private func storeMemoryOnly(_ update: MemoryUpdate) {
        do {
            try ledger.storeMemory(update)
        } catch {
            log.warning("ledger: stream \(update.stream): a memory change could not be stored (\(error))")
        }
    }

    private func fail(_ pending: Pending, _ error: any Error) {
        writer.discard(pending.output.prepared)
        log.warning("\(pending.display): output not written: \(error); retrying")
        _ = try? ledger.recordFailure(
            pending.output.prepared.location, content: pending.output.content, error: String(describing: error),
            transient: true, nextAttempt: Date().addingTimeInterval(retryDelay))
    }
}
