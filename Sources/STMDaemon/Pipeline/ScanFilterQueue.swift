import Dispatch
import Foundation

/// The files a rescan reports, waiting for their ledger check (`DocumentPipeline.isSettled`) off the event loop,
/// one entry per path: a file reported again while still waiting (a second overflow rescan of a large inbox, a
/// reconciliation during a burst) replaces its entry instead of queueing another check. So what waits is bounded
/// by the files in the inboxes, not by files × rescans — with one closure per report, seven overflow rescans of
/// 100,000 files held 317 MB of pending checks.
///
/// Checks run in order on one dispatch queue; `whenChecked` runs an action after everything enqueued before it
/// (the catch-up's READY=1 comes once every catch-up file has been checked and queued).
final class ScanFilterQueue<Item: Sendable>: @unchecked Sendable {
    private enum Entry {
        case item(key: String)
        case action(@Sendable () -> Void)
    }

    private let queue: DispatchQueue
    private let check: @Sendable (Item) -> Void
    private let lock = NSLock()
    // Guarded by `lock`.
    private var entries: [Entry] = []
    private var head = 0
    private var waiting: [String: Item] = [:]
    private var draining = false
    private var checked = 0

    init(label: String, check: @escaping @Sendable (Item) -> Void) {
        queue = DispatchQueue(label: label)
        self.check = check
    }

    /// Files waiting for their check.
    var waitingCount: Int { lock.withLock { waiting.count } }

    /// Checks run so far, and whether nothing is waiting or running (for `FreeMemoryRelease`: a rescan of a large
    /// inbox that finds nothing new still leaves its waiting entries' memory behind).
    var progress: (checked: Int, idle: Bool) { lock.withLock { (checked, !draining) } }

    /// Queues `item` for its check, or replaces the waiting entry of the same key (keeping its place).
    func enqueue(_ item: Item, key: String) {
        let start = lock.withLock { () -> Bool in
            if waiting.updateValue(item, forKey: key) == nil { entries.append(.item(key: key)) }
            return startDraining()
        }
        if start { queue.async { self.drain() } }
    }

    /// Runs `action` once everything enqueued so far has been checked.
    func whenChecked(_ action: @escaping @Sendable () -> Void) {
        let start = lock.withLock { () -> Bool in
            entries.append(.action(action))
            return startDraining()
        }
        if start { queue.async { self.drain() } }
    }

    /// Under `lock`: true when the caller must schedule a drain.
    private func startDraining() -> Bool {
        if draining { return false }
        draining = true
        return true
    }

    private func drain() {
        while true {
            let next = lock.withLock { () -> Entry? in
                guard head < entries.count else {
                    // Emptied: give the burst's storage back (Swift collections keep their capacity otherwise).
                    entries = []
                    head = 0
                    if waiting.isEmpty { waiting = [:] }
                    draining = false
                    return nil
                }
                let entry = entries[head]
                head += 1
                // Drop the consumed prefix now and then, so a long burst does not keep every entry it ever had.
                if head >= 1024 && head * 2 >= entries.count {
                    entries.removeFirst(head)
                    head = 0
                }
                return entry
            }
            switch next {
            case nil:
                return
            case .item(let key):
                if let item = lock.withLock({ waiting.removeValue(forKey: key) }) {
                    check(item)
                    lock.withLock { checked += 1 }
                }
            case .action(let action):
                action()
            }
        }
    }
}
