/// What an `InboxWatcher` reports, in the order it learned it.
public enum InboxEvent: Sendable, Hashable {
    /// A first-level folder of `root` is a stream now (found at start-up, created or renamed in). Always comes
    /// before any event for a file of that stream.
    case streamAdded(root: String, stream: String)
    /// The stream folder was deleted, renamed away or unmounted; nothing more is reported for it.
    case streamRemoved(root: String, stream: String)
    /// A complete file: take it.
    case document(FileCandidate)
    /// An entry that is not a regular file (symlink, FIFO, socket, device): never opened, never followed.
    /// May repeat on rescans.
    case rejected(FileCandidate, RejectionReason)
    /// A non-folder entry directly in a root: not a document. Reported on creation and on every scan.
    case fileInRoot(root: String, name: [UInt8])
    /// The kernel dropped events for `root` (IN_Q_OVERFLOW). The watcher rescans that root by itself and
    /// reports every file present as `.document(trigger: .scan)` right after this event.
    case overflow(root: String)
    /// The start-up catch-up scan has reported every file already present (sent once, after those events).
    case catchUpComplete
    /// Something the daemon should log; see `WatchError` for which cases the watcher survives.
    case failure(WatchError)
}
