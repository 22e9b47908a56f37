internal import Glibc
internal import Synchronization

/// Watches inbox roots: every first-level folder of a root is a stream, and every complete file anywhere in
/// a stream is reported once per write as `.document`. See `InboxEvent` for everything else it reports.
///
/// inotify is read on the watcher's own thread (not Swift's cooperative pool); roots on network filesystems,
/// or all roots with `forcePolling`, are polled on that thread instead. `events` has a single consumer and an
/// unbounded buffer: the consumer applies its own backpressure (the watcher never blocks on it).
public final class InboxWatcher: Sendable {
    /// The roots exactly as given.
    public let roots: [String]
    public let settings: WatchSettings
    /// Everything the watcher reports, in order; finishes after `stop()` (or when the consumer stops
    /// iterating, which stops the watcher).
    public let events: AsyncStream<InboxEvent>

    private let continuation: AsyncStream<InboxEvent>.Continuation
    private let control: LoopControl
    private let started = Mutex(false)

    /// Checks that every root is an existing folder, that no folder is given twice, and that no two roots
    /// have a stream of the same name (the error names both folders). Watches nothing yet.
    public init(roots: [String], settings: WatchSettings = WatchSettings()) throws(WatchError) {
        var identities: [(device: UInt64, inode: UInt64, root: String)] = []
        for root in roots {
            let (status, code) = FileStatus.following(path: root)
            guard let status else {
                if code == ENOENT || code == ENOTDIR { throw .rootNotFound(path: root) }
                throw .systemCall(name: "stat", path: root, errno: code)
            }
            guard status.kind == .directory else { throw .notADirectory(path: root) }
            if let same = identities.first(where: { $0.device == status.device && $0.inode == status.inode }) {
                throw .duplicateRoot(paths: [same.root, root])
            }
            identities.append((status.device, status.inode, root))
        }
        let rules = IgnoreRules(patterns: settings.ignorePatterns)
        var owners: [[UInt8]: [UInt8]] = [:]  // stream name → its folder
        for root in roots {
            let rootBytes = ByteNames.normalizedRoot(root)
            let entries: [DirectoryReader.Entry]
            switch DirectoryReader.list(rootBytes, include: { !rules.ignores($0) }) {
            case .success(let listed): entries = listed
            case .failure(.gone): throw .rootNotFound(path: root)
            case .failure(.failed(let code)): throw .systemCall(name: "opendir", path: root, errno: code)
            }
            for entry in entries where entry.status.kind == .directory {
                let folder = ByteNames.join(rootBytes, entry.name)
                if let other = owners[entry.name] {
                    throw .duplicateStream(
                        stream: ByteNames.display(entry.name),
                        paths: [ByteNames.display(other), ByteNames.display(folder)])
                }
                owners[entry.name] = folder
            }
        }
        self.roots = roots
        self.settings = settings
        control = try LoopControl()
        (events, continuation) = AsyncStream.makeStream(of: InboxEvent.self, bufferingPolicy: .unbounded)
        continuation.onTermination = { [control] _ in control.requestStop() }
    }

    deinit { stop() }

    /// Adds every watch (so `start()` returning means nothing written from now on is missed: the moment to
    /// send READY=1), then starts the watcher's thread, whose first job is the catch-up scan: `.streamAdded`
    /// for every stream, `.fileInRoot`, and `.document(trigger: .scan)` / `.rejected` for every entry.
    /// Throws the inotify limits (`instanceLimit`, `watchLimit`). Blocks while it walks the folders.
    public func start() throws(WatchError) {
        try started.withLock { (isStarted: inout Bool) throws(WatchError) in
            if isStarted { throw .alreadyStarted }
            isStarted = true
        }
        guard !control.isStopping else { return }
        let loop = WatchLoop(roots: roots, settings: settings, continuation: continuation, control: control)
        do {
            try loop.prepare()
            try WatcherThread.spawn(name: "stmd-watcher") { loop.run() }
        } catch {
            stop()
            throw error
        }
    }

    /// Lists a root (or one stream of it; nil: every root) again and reports every file present as
    /// `.document(trigger: .scan)`, even files reported before — the daemon's periodic reconciliation.
    /// Streams created or removed meanwhile are reported too. Asynchronous: the results arrive on `events`.
    public func rescan(root: String? = nil, stream: String? = nil) {
        control.requestRescan(.init(root: root, stream: stream))
    }

    /// Stops the thread (it closes the inotify descriptors on its way out) and finishes `events`. Idempotent.
    public func stop() {
        control.requestStop()
        continuation.finish()
    }

    /// The roots being polled (network filesystems, `forcePolling`, or a root that hit the watch limit).
    public var pollingRoots: [String] { control.pollingRoots }

    /// True when at least one root is polled.
    public var isPolling: Bool { !pollingRoots.isEmpty }
}
