/// A file or folder inside a stream: root index, stream folder name, path below it (raw bytes).
struct StreamPath: Hashable, Sendable {
    var root: Int
    var stream: [UInt8]
    var relative: [UInt8]
}

/// What an inotify watch descriptor stands for within its root.
enum WatchTarget: Hashable {
    case root
    /// A stream folder (`relative` empty) or a folder inside it.
    case directory(stream: [UInt8], relative: [UInt8])
}

/// Everything the watcher knows about one root. Owned by `WatchLoop`.
struct RootState {
    let given: String
    let bytes: [UInt8]
    /// nil when the root is polled or gone.
    var inotify: Inotify?
    var isPolling = false
    var isRemoved = false
    /// Stream folder name → display name.
    var streams: [[UInt8]: String] = [:]
    /// Folders refused because another root has a stream of that name (reported once).
    var refusedStreams: Set<[UInt8]> = []
    var targets: [Int32: WatchTarget] = [:]
    var watches: [WatchTarget: Int32] = [:]
    // Polling: what was last reported (or found at start-up), so a pass reports only new or changed files.
    var known: [StreamPath: FileObservation] = [:]
    var knownSpecial: [StreamPath: FileObservation] = [:]
    var knownRootFiles: Set<[UInt8]> = []
    var nextPoll: Int64 = 0

    init(given: String) {
        self.given = given
        bytes = ByteNames.normalizedRoot(given)
    }
}
