internal import Glibc

/// Starts the watcher's own thread: inotify reads and `lstat` calls block, so they stay off Swift's
/// cooperative pool.
enum WatcherThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private typealias SetNameFunction = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32

    /// `pthread_setname_np` (so `top -H` shows the thread), looked up at run time: it needs _GNU_SOURCE,
    /// which Swift's Glibc module does not define.
    private static func setName(_ thread: pthread_t, _ name: String) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return }
        _ = unsafeBitCast(symbol, to: SetNameFunction.self)(thread, name)
    }

    static func spawn(name: String, _ run: @escaping () -> Void) throws(WatchError) {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
                body.run()
                return nil
            }, body)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(body).release()
            throw .systemCall(name: "pthread_create", path: nil, errno: result)
        }
        setName(thread, String(name.prefix(15)))
        pthread_detach(thread)
    }
}
