internal import Glibc

/// The watcher's engine: all state lives here and is touched only by the watcher's thread (after `prepare`,
/// which runs on the caller's thread before that thread exists). One loop: `poll(2)` on the inotify
/// descriptors and the wake pipe, with a timeout for the next settle check or polling pass.
final class WatchLoop {
    let settings: WatchSettings
    let rules: IgnoreRules
    let continuation: AsyncStream<InboxEvent>.Continuation
    let control: LoopControl
    var roots: [RootState]
    var settle: SettleStateMachine<StreamPath>
    var recentDocuments: RecentEmissions<StreamPath>
    var recentRejections: RecentEmissions<StreamPath>
    let pollInterval: Int64
    /// Roots whose queue overflowed or that hit the watch limit; handled between event batches.
    var overflowed: [Int] = []
    var fallbackRequested: [(root: Int, failure: WatchError)] = []
    /// True while `prepare` runs: limit errors are thrown from `start()` instead of reported.
    var preparing = true
    var preparationError: WatchError?
    var failuresDuringPreparation: [WatchError] = []
    #if DEBUG
        var faults: WatcherFaultHooks
        let hiddenNames: IgnoreRules
        var successfulAddWatches = 0
    #endif

    init(
        roots: [String], settings: WatchSettings, continuation: AsyncStream<InboxEvent>.Continuation,
        control: LoopControl
    ) {
        self.settings = settings
        self.rules = IgnoreRules(patterns: settings.ignorePatterns)
        self.continuation = continuation
        self.control = control
        self.roots = roots.map(RootState.init(given:))
        let settleDelay = settings.settleDelay.watcherNanoseconds
        let maximumWait = settings.maximumWait.watcherNanoseconds
        settle = SettleStateMachine(settleDelay: settleDelay, maximumWait: maximumWait)
        // Covers a folder's scan racing its own events and a settle followed by the close of the same write;
        // short enough that a burst of 1,000 documents/s keeps ~10k records. The daemon dedupes by content
        // hash anyway: this only saves it work.
        let window = max(10_000_000_000, 4 * settleDelay)
        recentDocuments = RecentEmissions(window: window)
        recentRejections = RecentEmissions(window: window)
        pollInterval = max(1_000_000, settings.pollInterval.watcherNanoseconds)
        #if DEBUG
            faults = settings.faultHooks
            hiddenNames = IgnoreRules(patterns: settings.faultHooks.hiddenEventNames, builtIns: false)
        #endif
    }

    // MARK: Start

    /// Creates the inotify instances and watches every folder (watches first, so nothing created from now on
    /// is missed); the catch-up scan is `run()`'s first step.
    func prepare() throws(WatchError) {
        defer { preparing = false }
        for r in roots.indices {
            if settings.forcePolling || FilesystemKind.needsPolling(roots[r].given) {
                roots[r].isPolling = true
                continue
            }
            #if DEBUG
                if faults.failInotifyInit { throw .instanceLimit(limit: WatchError.sysctlValue("max_user_instances")) }
            #endif
            do {
                roots[r].inotify = try Inotify()
            } catch {
                if error.code == EMFILE { throw .instanceLimit(limit: WatchError.sysctlValue("max_user_instances")) }
                throw .systemCall(name: "inotify_init1", path: nil, errno: error.code)
            }
            guard case .watching = ensureWatch(r, .root) else {
                throw preparationError
                    ?? .systemCall(name: "inotify_add_watch", path: roots[r].given, errno: ENOENT)
            }
            let entries: [DirectoryReader.Entry]
            switch DirectoryReader.list(roots[r].bytes, include: { !self.rules.ignores($0) }) {
            case .success(let listed): entries = listed
            case .failure(.gone): throw .rootNotFound(path: roots[r].given)
            case .failure(.failed(let code)): throw .systemCall(name: "opendir", path: roots[r].given, errno: code)
            }
            for entry in entries where entry.status.kind == .directory {
                _ = walk(r, stream: entry.name, from: [], watch: true, visit: nil)
                if let preparationError { throw preparationError }
            }
        }
        control.pollingRoots = roots.filter(\.isPolling).map(\.given)
    }

    // MARK: The loop

    func run() {
        for failure in failuresDuringPreparation { continuation.yield(.failure(failure)) }
        for r in roots.indices where !control.isStopping {
            reconcile(r)
            roots[r].nextPoll = MonotonicClock.now() + pollInterval
        }
        handleDeferred()
        continuation.yield(.catchUpComplete)
        while !control.isStopping {
            let now = MonotonicClock.now()
            var deadline = settle.nextDeadline()
            for root in roots where root.isPolling && !root.isRemoved {
                deadline = min(deadline ?? root.nextPoll, root.nextPoll)
            }
            var timeout: Int32 = -1
            if let deadline {
                // Round up so a timer is never checked a hair early (which would spin).
                timeout = Int32(clamping: max(0, min((deadline - now + 999_999) / 1_000_000, 3_600_000)))
            }
            let held = isReadingHeld
            if held { timeout = timeout < 0 ? 20 : min(timeout, 20) }

            var descriptors = [pollfd(fd: control.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            var descriptorRoots: [Int] = []
            if !held {
                for r in roots.indices {
                    guard let inotify = roots[r].inotify else { continue }
                    descriptors.append(pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0))
                    descriptorRoots.append(r)
                }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR {
                continuation.yield(.failure(.systemCall(name: "poll", path: nil, errno: errno)))
                break
            }
            if control.isStopping { break }
            if ready > 0 {
                if descriptors[0].revents != 0 {
                    control.drainWakeups()
                    for request in control.takeRescans() { handleRescan(request) }
                }
                for (index, r) in descriptorRoots.enumerated() where descriptors[index + 1].revents != 0 {
                    readEvents(r)
                }
            }
            let after = MonotonicClock.now()
            runSettleChecks(now: after)
            runPollingPasses(now: after)
            handleDeferred()
            recentDocuments.prune(now: after)
            recentRejections.prune(now: after)
        }
        // Closing the inotify descriptors drops every watch.
        roots.removeAll()
        continuation.finish()
    }

    private var isReadingHeld: Bool {
        #if DEBUG
            if let path = faults.holdReadingWhileExists { return access(path, F_OK) == 0 }
        #endif
        return false
    }

    private func readEvents(_ r: Int) {
        guard let inotify = roots[r].inotify else { return }
        let now = MonotonicClock.now()
        let outcome = inotify.read { self.handle($0, root: r, now: now) }
        if case .failed(let error) = outcome {
            continuation.yield(.failure(.readFailed(root: roots[r].given, errno: error.code)))
            control.requestStop()
        }
    }

    /// Overflow rescans and polling fallbacks run between batches, not inside a read.
    func handleDeferred() {
        while !overflowed.isEmpty || !fallbackRequested.isEmpty {
            if control.isStopping { return }
            if !overflowed.isEmpty {
                overflow(overflowed.removeFirst())
            } else {
                let request = fallbackRequested.removeFirst()
                fallBackToPolling(request.root, reporting: request.failure)
            }
        }
    }

    private func handleRescan(_ request: LoopControl.RescanRequest) {
        for r in roots.indices {
            if let root = request.root, root != roots[r].given, ByteNames.normalizedRoot(root) != roots[r].bytes {
                continue
            }
            if let stream = request.stream {
                let name = roots[r].streams.first { $0.value == stream }?.key ?? Array(stream.utf8)
                reconcile(r, only: name)
            } else {
                reconcile(r)
            }
        }
    }

    // MARK: Reporting

    func directoryPath(_ r: Int, _ target: WatchTarget) -> [UInt8] {
        switch target {
        case .root: roots[r].bytes
        case .directory(let stream, let relative): ByteNames.join(ByteNames.join(roots[r].bytes, stream), relative)
        }
    }

    func filePath(_ location: StreamPath) -> [UInt8] {
        ByteNames.join(ByteNames.join(roots[location.root].bytes, location.stream), location.relative)
    }

    func candidate(_ location: StreamPath, _ status: FileStatus, _ trigger: FileCandidate.Trigger) -> FileCandidate {
        let root = roots[location.root]
        return FileCandidate(
            root: root.given, stream: root.streams[location.stream] ?? ByteNames.display(location.stream),
            streamName: location.stream, relativePath: location.relative, path: filePath(location), size: status.size,
            modificationTime: status.modificationTime, device: status.device, inode: status.inode, trigger: trigger)
    }

    /// A regular file becomes `.document`, anything else but a folder `.rejected`.
    func report(_ location: StreamPath, _ status: FileStatus, _ trigger: FileCandidate.Trigger, force: Bool, now: Int64)
    {
        if status.kind == .regular {
            reportDocument(location, status, trigger, force: force, now: now)
        } else if let reason = status.rejection {
            reportRejection(location, status, reason, trigger, force: force, now: now)
        }
    }

    func reportDocument(
        _ location: StreamPath, _ status: FileStatus, _ trigger: FileCandidate.Trigger, force: Bool, now: Int64
    ) {
        guard recentDocuments.shouldReport(location, status.observation, now: now, force: force) else { return }
        if roots[location.root].isPolling { roots[location.root].known[location] = status.observation }
        continuation.yield(.document(candidate(location, status, trigger)))
    }

    func reportRejection(
        _ location: StreamPath, _ status: FileStatus, _ reason: RejectionReason, _ trigger: FileCandidate.Trigger,
        force: Bool, now: Int64
    ) {
        if roots[location.root].isPolling { roots[location.root].knownSpecial[location] = status.observation }
        guard recentRejections.shouldReport(location, status.observation, now: now, force: force) else { return }
        continuation.yield(.rejected(candidate(location, status, trigger), reason))
    }

    /// While `prepare` runs, a `fatal` failure (a limit) is thrown by `start()` (the first one wins) and the
    /// others wait for `run()`; afterwards every failure is reported at once.
    func reportFailure(_ error: WatchError, fatal: Bool = false) {
        if preparing {
            if fatal {
                if preparationError == nil { preparationError = error }
            } else {
                failuresDuringPreparation.append(error)
            }
        } else {
            continuation.yield(.failure(error))
        }
    }
}
