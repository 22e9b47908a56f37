import Glibc

/// Follows journal sources on a thread of its own and hands their new entries, in journal order per source, to
/// `deliver` in batches. The caller processes a batch and checkpoints its last cursor (in the same transaction as
/// what it learnt from it); a follower started with that checkpoint continues right after it — no replay and no
/// gap, even when the checkpointed entry itself was vacuumed meanwhile.
///
/// The loop polls every source's descriptor (`sd_journal_get_fd`, with libsystemd's own timeout) and a wake-up
/// pipe, and calls `sd_journal_process` when one is readable; INVALIDATE (rotation, vacuum, files added to a
/// directory) keeps each reader's place. stmd's own entries (its PID, or `SYSLOG_IDENTIFIER=stmd`) are never
/// delivered, so its alerts cannot feed back into its input.
public final class JournalFollower: @unchecked Sendable {
    /// At most this many entries per batch, so a long backlog is checkpointed as it goes.
    public static let batchLimit = 512

    private let sources: [JournalSourceSettings]
    private var readers: [JournalReader] = []
    /// Per reader: it already stands on an entry not delivered yet (after a checkpoint whose entry was vacuumed).
    private var standsOnUndelivered: [Bool] = []
    private let deliver: @Sendable (_ source: String, _ entries: [JournalEntry]) -> Void
    private let ownPID = String(getpid())
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var thread: WorkerThreads?
    private var stopping = false
    private var mutex = pthread_mutex_t()

    /// Opens every source and positions it after its checkpoint (`checkpoints[name]`), or at its start setting.
    public init(
        sources: [JournalSourceSettings], checkpoints: [String: String],
        deliver: @escaping @Sendable (_ source: String, _ entries: [JournalEntry]) -> Void
    ) throws(JournalError) {
        self.sources = sources
        self.deliver = deliver
        pthread_mutex_init(&mutex, nil)
        for source in sources {
            let reader = try JournalReader(source.location)
            for term in source.matches { try reader.addMatch(term) }
            if let limit = source.maximumPriority {
                // Terms of one field are ORed: PRIORITY=0 … PRIORITY=limit, ANDed with the other matches.
                for level in 0...max(0, min(limit, 7)) { try reader.addMatch("PRIORITY=\(level)") }
            }
            if let cursor = checkpoints[source.name] {
                try reader.seek(cursor: cursor)
                // The checkpointed entry is done: step over it. If it is gone (vacuumed), `next()` stands on the
                // entry after it, which is not done yet: the first drain delivers it before moving on.
                standsOnUndelivered.append(try reader.next() && !reader.isAt(cursor: cursor))
            } else if source.start == .tail {
                reader.seekTail()
                _ = reader.previous()
                standsOnUndelivered.append(false)
            } else {
                reader.seekHead()
                standsOnUndelivered.append(false)
            }
            readers.append(reader)
        }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .call("pipe", location: .local, errno: errno) }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    }

    deinit {
        stop()
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
        pthread_mutex_destroy(&mutex)
    }

    /// Delivers what is already there, then follows.
    public func start() {
        thread = WorkerThreads(count: 1, name: "stmd-journal") { [self] _ in loop() }
    }

    /// Stops the loop after the batch in hand; returns once the thread is gone. Idempotent.
    public func stop() {
        pthread_mutex_lock(&mutex)
        let first = !stopping
        stopping = true
        pthread_mutex_unlock(&mutex)
        if first, wakeWrite >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        thread?.join()
        thread = nil
    }

    private var isStopping: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return stopping
    }

    private func loop() {
        for index in readers.indices { drain(index) }
        while !isStopping {
            var descriptors = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            var timeout: Int32 = -1
            for reader in readers {
                guard let (fd, events) = try? reader.descriptor() else { continue }
                descriptors.append(pollfd(fd: fd, events: events, revents: 0))
                let limit = reader.timeoutMilliseconds()
                if limit >= 0 { timeout = timeout < 0 ? limit : min(timeout, limit) }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR { return }
            if isStopping { return }
            for index in readers.indices where readers[index].process() != .nothing || ready == 0 {
                drain(index)
            }
            // Entries can arrive between a drain and the next poll; libsystemd's timeout and a cheap extra
            // drain per wake-up keep them from waiting for the next change.
            for index in readers.indices { drain(index) }
        }
    }

    /// Reads and delivers every entry available from one source, in batches.
    private func drain(_ index: Int) {
        let reader = readers[index]
        let source = sources[index]
        var batch: [JournalEntry] = []
        var onCurrent = standsOnUndelivered[index]
        standsOnUndelivered[index] = false
        while !isStopping {
            if onCurrent {
                onCurrent = false
            } else if (try? reader.next()) != true {
                break
            }
            guard let cursor = reader.cursor else { continue }
            if reader.string("_PID") == ownPID || reader.string("SYSLOG_IDENTIFIER") == "stmd" { continue }
            let fields = ["SYSLOG_IDENTIFIER", "_SYSTEMD_UNIT", "_PID", "MESSAGE_ID"].reduce(into: [String: String]()) {
                if let value = reader.string($1) { $0[$1] = value }
            }
            let stream = reader.string(source.streamField) ?? fields["SYSLOG_IDENTIFIER"] ?? source.name
            batch.append(
                JournalEntry(
                    cursor: cursor, realtimeMicroseconds: reader.realtimeMicroseconds ?? 0,
                    message: reader.string("MESSAGE") ?? "", stream: stream, priority: reader.string("PRIORITY").flatMap { Int($0) },
                    fields: fields))
            if batch.count >= Self.batchLimit {
                deliver(source.name, batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { deliver(source.name, batch) }
    }
}
