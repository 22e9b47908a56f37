import Glibc

/// A second thread for one document's classification tasks, so a daemon with an idle core answers a lone
/// document sooner: while the caller runs one task, this thread runs another (each task owns its models'
/// scratch memory, and the kernels' results do not depend on the thread, so the annotation is the same bits).
///
/// One per worker. `run` hands it a job and `wait` blocks until the job has returned; jobs never overlap.
public final class TaskHelperThread: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var job: (() -> Void)?
    private var busy = false
    private var stopping = false
    private var thread = pthread_t()

    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<TaskHelperThread>.fromOpaque(raw!).takeRetainedValue().loop()
            return nil
        }, context)
        precondition(result == 0, "TaskHelperThread: pthread_create failed (\(result))")
    }

    /// Stops the thread once its current job (if any) has returned. Call it before dropping the last reference:
    /// the thread holds one of its own until it stops.
    public func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// Starts `job` on the helper thread. The previous job must have been waited for.
    func run(_ job: @escaping () -> Void) {
        pthread_mutex_lock(&mutex)
        precondition(!busy, "TaskHelperThread: a job is already running")
        self.job = job
        busy = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }

    /// Blocks until the job started by `run` has returned (its writes are then visible to the caller).
    func wait() {
        pthread_mutex_lock(&mutex)
        while busy { pthread_cond_wait(&changed, &mutex) }
        pthread_mutex_unlock(&mutex)
    }

    private func loop() {
        pthread_mutex_lock(&mutex)
        while true {
            while job == nil && !stopping { pthread_cond_wait(&changed, &mutex) }
            guard let next = job else { break }
            job = nil
            pthread_mutex_unlock(&mutex)
            next()
            pthread_mutex_lock(&mutex)
            busy = false
            pthread_cond_broadcast(&changed)
        }
        pthread_mutex_unlock(&mutex)
    }
}
