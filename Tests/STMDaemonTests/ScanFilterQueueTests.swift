import Dispatch
import Foundation
@testable import STMDaemon
import Testing

struct ScanFilterQueueTests {
    /// Records the checks; the first one waits until `release` is signalled, so entries pile up behind it.
    final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var checked: [String] = []
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var isFirst = true

        func check(_ item: String) {
            let first = lock.withLock {
                defer { isFirst = false }
                return isFirst
            }
            if first {
                started.signal()
                release.wait()
            }
            lock.withLock { checked.append(item) }
        }
    }

    @Test func aPathReportedByManyRescansWaitsOnceWithItsLatestReport() {
        let recorder = Recorder()
        let queue = ScanFilterQueue<String>(label: "test.scan-filter") { recorder.check($0) }
        queue.enqueue("blocker", key: "blocker")
        recorder.started.wait()
        for rescan in 0..<1_000 {
            for file in 0..<10 { queue.enqueue("file\(file)@\(rescan)", key: "file\(file)") }
        }
        #expect(queue.waitingCount == 10, "one waiting check per path, not per report")
        let done = DispatchSemaphore(value: 0)
        queue.whenChecked { done.signal() }
        recorder.release.signal()
        done.wait()
        #expect(recorder.checked == ["blocker"] + (0..<10).map { "file\($0)@999" })
        #expect(queue.waitingCount == 0)
        #expect(queue.progress.checked == 11)
    }

    @Test func anActionRunsAfterEverythingEnqueuedBeforeIt() {
        let recorder = Recorder()
        let queue = ScanFilterQueue<String>(label: "test.scan-filter") { recorder.check($0) }
        queue.enqueue("a", key: "a")
        recorder.started.wait()
        queue.enqueue("b", key: "b")
        let seen = Recorder()
        let done = DispatchSemaphore(value: 0)
        queue.whenChecked {
            seen.lock.withLock { seen.checked = recorder.lock.withLock { recorder.checked } }
            done.signal()
        }
        queue.enqueue("c", key: "c")
        recorder.release.signal()
        done.wait()
        #expect(seen.lock.withLock { seen.checked } == ["a", "b"])
    }
}
