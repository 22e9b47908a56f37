import Glibc

/// Everything `stmd run` reads from `stmd.toml`, with the built-in defaults in place of what the file leaves out.
/// `DaemonConfiguration()` is the configuration of a machine with no file at all, and `etc/stmd/stmd.toml` spells
/// out exactly these values (a test keeps the two equal).
///
/// The value is plain data: the daemon reads it at start and again on reload, and compares the two.
/// Per-stream values are resolved by `settings(forStream:)`; inbox roots are only known to the daemon, so the
/// checks that need them are in `validate(inboxRoots:)`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Ignore patterns every stream has, before any from the file: what editors, rsync and browsers leave while
    /// writing. The daemon's own outputs and temporary files are kept out by the pipeline itself, not by a pattern.
    public static let builtInIgnorePatterns = [".*", "*~", "*.swp", "*.tmp", "*.part", "*.crdownload"]

    /// The tasks of a stream no file mentions: task name → model name.
    public static let builtInTasks = ["topic": TaskSpec(model: "topic-news"), "sentiment": TaskSpec(model: "sentiment-en")]

    /// `state_directory`: nil leaves the choice to `--state`, `$STATE_DIRECTORY` or `./.stmd`.
    public var stateDirectory: String?
    /// `workers`: document workers; `"auto"` (the default) is the number of online CPUs.
    public var workers: Int
    /// `settle_delay`: how long a created-but-not-closed file's size and mtime must stay still before it is taken.
    public var settleDelay: Duration
    /// `maximum_wait`: a file still changing after this long is taken anyway, so one written forever is not lost.
    public var maximumWait: Duration
    /// `max_file_size`: larger documents fail with an error output instead of being read.
    public var maximumFileSize: Int
    /// `queue_capacity`: documents queued per stream before the stream is marked for a rescan (backpressure).
    public var queueCapacity: Int
    /// `reconcile_interval`: how often every stream is compared with the ledger to catch anything missed.
    public var reconcileInterval: Duration
    /// `poll`: poll every inbox instead of using inotify (network filesystems are polled regardless).
    public var poll: Bool
    /// `poll_interval`: the period of a polled inbox's scan.
    public var pollInterval: Duration
    /// `ignore`: glob patterns (matched against file names) added to `builtInIgnorePatterns` for every stream.
    public var ignore: [String]
    /// `output` and `output_root`: where results go.
    public var output: Output
    /// `failed` and `failed_directory`: what happens to a document that cannot be processed.
    public var failed: FailedHandling
    /// `[retry]`: retries of transient failures.
    public var retry: RetryPolicy
    /// `[retention]`: pruning of old ledger rows.
    public var retention: RetentionPolicy
    /// `[memory]`: per-stream short-term memory.
    public var memory: MemoryConfiguration
    /// `[defaults] tasks`: task name → model name for every stream without its own `tasks`.
    public var tasks: [String: TaskSpec]
    /// `[streams.<name>]`: per-stream overrides, by stream (folder) name.
    public var streams: [String: StreamOverride]
    /// `[[journal]]`: journal sources followed for unusual log lines, one stream per unit (or per `stream_field`).
    public var journal: [JournalSourceSettings]
    /// `[logs]`: the anomaly detector of journal streams.
    public var logs: LogMonitorConfiguration

    /// The built-in defaults.
    public init() {
        stateDirectory = nil
        workers = Self.onlineProcessorCount
        settleDelay = .milliseconds(300)
        maximumWait = .seconds(30)
        maximumFileSize = 10 << 20
        queueCapacity = 1000
        reconcileInterval = .seconds(300)
        poll = false
        pollInterval = .seconds(1)
        ignore = []
        output = .alongside
        failed = .errorFile
        retry = RetryPolicy()
        retention = RetentionPolicy()
        memory = MemoryConfiguration()
        journal = []
        logs = LogMonitorConfiguration()
        tasks = Self.builtInTasks
        streams = [:]
    }

    /// What `workers = "auto"` means: the CPUs online now (`sysconf(_SC_NPROCESSORS_ONLN)`), at least one.
    public static var onlineProcessorCount: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The settings a stream runs with: its `[streams.<name>]` overrides on top of the global values, and its
    /// ignore patterns after the built-in and global ones. A stream the file does not mention gets the globals.
    public func settings(forStream name: String) -> StreamSettings {
        let override = streams[name] ?? StreamOverride()
        return StreamSettings(
            name: name,
            enabled: override.enabled,
            tasks: override.tasks ?? tasks,
            settleDelay: override.settleDelay ?? settleDelay,
            maximumWait: override.maximumWait ?? maximumWait,
            maximumFileSize: override.maximumFileSize ?? maximumFileSize,
            queueCapacity: queueCapacity,
            ignorePatterns: Self.builtInIgnorePatterns + ignore + override.ignore,
            kind: override.kind
        )
    }
}

extension DaemonConfiguration {
    /// A duration as the file writes it (`"1h30m"`, `"300ms"`), for logs and messages.
    public static func format(_ duration: Duration) -> String {
        DurationText.format(duration)
    }

    /// A size in the largest binary unit that divides it (`"10MiB"`, `"1536B"`), for logs and messages.
    public static func format(bytes: Int) -> String {
        ByteSizeText.format(bytes)
    }
}
