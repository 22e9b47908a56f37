internal import Glibc
internal import Synchronization

/// What other threads tell the watcher's thread (stop, rescan) and what it tells them back (which roots are
/// polled). The thread sleeps in `poll(2)` on `wakeDescriptor`, so a request wakes it at once.
final class LoopControl: Sendable {
    struct RescanRequest: Sendable, Equatable {
        /// nil: every root.
        var root: String?
        /// nil: every stream of the root.
        var stream: String?
    }

    private struct State {
        var stopping = false
        var rescans: [RescanRequest] = []
        var pollingRoots: [String] = []
    }

    /// Readable when a request is waiting.
    let wakeDescriptor: Int32
    private let wakeWriter: Int32
    private let state = Mutex(State())

    init() throws(WatchError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .systemCall(name: "pipe", path: nil, errno: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    var pollingRoots: [String] {
        get { state.withLock { $0.pollingRoots } }
        set { state.withLock { $0.pollingRoots = newValue } }
    }

    func requestStop() {
        state.withLock { $0.stopping = true }
        wake()
    }

    func requestRescan(_ request: RescanRequest) {
        state.withLock { $0.rescans.append(request) }
        wake()
    }

    func takeRescans() -> [RescanRequest] {
        state.withLock { state in
            defer { state.rescans = [] }
            return state.rescans
        }
    }

    /// Empties the wake pipe (non-blocking).
    func drainWakeups() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ read(wakeDescriptor, $0.baseAddress, 64) }) > 0 {}
    }

    private func wake() {
        var byte: UInt8 = 1
        // A full pipe already means "wake up"; EAGAIN is fine.
        _ = write(wakeWriter, &byte, 1)
    }
}
