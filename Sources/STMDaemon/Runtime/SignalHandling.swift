import Dispatch
import Glibc

/// Signals as events: SIGTERM/SIGINT (stop), SIGHUP (reload). The default actions are replaced by dispatch
/// sources, and the signal mask inherited from whoever started us is cleared first — a child started from a
/// thread that blocks SIGTERM (as Foundation's `Process` from a test's thread can) would otherwise never see it.
public final class SignalHandling: @unchecked Sendable {
    public enum Signal: Sendable { case terminate, interrupt, hangUp }

    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "stmd.signals")

    public init(handler: @escaping @Sendable (Signal) -> Void) {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        for (number, signal) in [(SIGTERM, Signal.terminate), (SIGINT, .interrupt), (SIGHUP, .hangUp)] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(signal) }
            source.resume()
            sources.append(source)
        }
    }

    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }
}
