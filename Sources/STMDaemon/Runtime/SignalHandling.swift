import Glibc

/// The write end of the self-pipe the signal handler writes to. Set before the handler is installed; the handler
/// only reads it (a plain load once initialised) and calls `write(2)`, which is async-signal-safe.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Signals as events: SIGTERM/SIGINT (stop), SIGHUP (reload), none ever lost.
///
/// A real handler (the self-pipe trick) rather than a dispatch signal source: libdispatch on Linux reads signals
/// through a signalfd, which sees a signal only while it is blocked in the thread the kernel picks for it — and a
/// process-directed signal can land on any thread (a worker, a pool thread) whose mask lets it through, where an
/// ignored signal is simply dropped. A stop sent right after READY=1 was lost that way about once in 40 starts.
/// With a handler, whichever thread takes the signal writes its number into a pipe that a thread of ours reads.
/// The signal mask inherited from whoever started us is cleared on this thread first: a child started from a
/// thread that blocks SIGTERM (as Foundation's `Process` from a test's thread can) would otherwise never see it.
public final class SignalHandling: @unchecked Sendable {
    public enum Signal: Sendable { case terminate, interrupt, hangUp }

    private static let handled: [(number: Int32, signal: Signal)] = [(SIGTERM, .terminate), (SIGINT, .interrupt), (SIGHUP, .hangUp)]
    private var reader: WorkerThreads?
    private let readEnd: Int32
    private let writeEnd: Int32

    public init(handler: @escaping @Sendable (Signal) -> Void) {
        var ends: [Int32] = [-1, -1]
        let created = pipe(&ends)
        precondition(created == 0, "SignalHandling: pipe failed (errno \(errno))")
        readEnd = ends[0]
        writeEnd = ends[1]
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // A full pipe must not block a handler: a burst of signals beyond 64 KiB of them is safely dropped.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        signalPipeWriteEnd = writeEnd
        let readEnd = readEnd
        reader = WorkerThreads(count: 1, name: "stmd-signals") { _ in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                if let entry = Self.handled.first(where: { $0.number == Int32(byte) }) { handler(entry.signal) }
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            let saved = errno
            _ = write(signalPipeWriteEnd, &byte, 1)
            errno = saved
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for (number, _) in Self.handled {
            sigaction(number, &action, nil)
            sigaddset(&unblocked, number)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }

    /// Restores the default actions and stops the reader thread.
    public func cancel() {
        guard let reader else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&action.sa_mask)
        for (number, _) in Self.handled { sigaction(number, &action, nil) }
        close(writeEnd)
        reader.join()
        close(readEnd)
        self.reader = nil
    }
}
