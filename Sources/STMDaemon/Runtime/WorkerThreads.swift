import Glibc

/// Plain threads for the CPU-bound work (model inference): kept off Swift's cooperative pool, whose threads must
/// not block, and sized to the cores. Each thread runs `body(index)` until it returns; `join()` waits for all.
public final class WorkerThreads: @unchecked Sendable {
    private var threads: [pthread_t] = []
    private let body: @Sendable (Int) -> Void

    public init(count: Int, name: String, body: @escaping @Sendable (Int) -> Void) {
        self.body = body
        for index in 0..<count {
            let context = Unmanaged.passRetained(ThreadContext(index: index, name: "\(name)-\(index)", body: body)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
                context.body(context.index)
                return nil
            }, context)
            precondition(result == 0, "WorkerThreads: pthread_create failed (\(result))")
            threads.append(thread)
        }
    }

    /// Waits until every thread's body has returned.
    public func join() {
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }
}

private final class ThreadContext {
    let index: Int
    let name: String
    let body: @Sendable (Int) -> Void

    init(index: Int, name: String, body: @escaping @Sendable (Int) -> Void) {
        self.index = index
        self.name = name
        self.body = body
    }
}
