import Testing

@testable import STMWatcher

/// The settle rules on made-up instants (milliseconds written as nanoseconds).
struct SettleStateMachineTests {
    typealias Machine = SettleStateMachine<String>
    private static let ms: Int64 = 1_000_000

    private func observation(size: Int64, mtime: Int64 = 1) -> FileObservation {
        FileObservation(size: size, modificationTime: mtime, device: 1, inode: 2)
    }

    @Test func createdAndNeverOpenedSettlesAfterTheDelay() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 30_000 * Self.ms)
        machine.track("link", observation: observation(size: 5), now: 0)
        #expect(machine.nextDeadline() == 300 * Self.ms)
        #expect(machine.due(now: 299 * Self.ms).isEmpty)
        let decision = machine.observe("link", observation: observation(size: 5), now: 300 * Self.ms)
        #expect(decision == .emit(.settled))
        #expect(machine.isEmpty)
    }

    /// Files due at the same instant (one polling pass's finds) come out oldest mtime first, then in the order they
    /// were tracked — never in the dictionary's hash order — so a polled stream's memory sees arrival order.
    @Test func filesDueTogetherComeOutInMtimeThenTrackingOrder() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 30_000 * Self.ms)
        let names = (0..<40).map { "f\($0)" }
        for (index, name) in names.enumerated() {
            // Every fourth file has an older mtime than the rest; the others share one mtime.
            machine.track(name, observation: observation(size: 5, mtime: index % 4 == 0 ? 1 : 2), now: 0, trigger: .poll)
        }
        let due = machine.due(now: 300 * Self.ms)
        let older = names.enumerated().filter { $0.offset % 4 == 0 }.map(\.element)
        let newer = names.enumerated().filter { $0.offset % 4 != 0 }.map(\.element)
        #expect(due == older + newer)
        machine.track("late", observation: observation(size: 5, mtime: 0), now: 100 * Self.ms)
        #expect(machine.due(now: 400 * Self.ms).last == "late", "a later deadline comes after, whatever its mtime")
    }

    @Test func aChangeRestartsTheDelay() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 30_000 * Self.ms)
        machine.track("f", observation: observation(size: 5), now: 0)
        let changed = machine.observe("f", observation: observation(size: 9, mtime: 2), now: 300 * Self.ms)
        #expect(changed == .wait)
        #expect(machine.nextDeadline() == 600 * Self.ms)
        let stable = machine.observe("f", observation: observation(size: 9, mtime: 2), now: 600 * Self.ms)
        #expect(stable == .emit(.settled))
    }

    @Test func anOpenFileWaitsForItsCloseOrTheMaximumWait() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 2_000 * Self.ms)
        machine.track("w", observation: observation(size: 0), now: 0)
        machine.opened("w")
        #expect(machine.nextDeadline() == 2_000 * Self.ms)
        // Stable for far longer than the settle delay, but open: not settled.
        let open = machine.observe("w", observation: observation(size: 0), now: 1_000 * Self.ms)
        #expect(open == .wait)
        let bounded = machine.observe("w", observation: observation(size: 0), now: 2_000 * Self.ms)
        #expect(bounded == .emit(.maximumWait))
    }

    @Test func closingWithoutWritingLetsItSettle() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 30_000 * Self.ms)
        machine.track("r", observation: observation(size: 3), now: 0)
        machine.opened("r")
        machine.closedWithoutWriting("r", now: 100 * Self.ms)
        #expect(machine.nextDeadline() == 300 * Self.ms)
        let decision = machine.observe("r", observation: observation(size: 3), now: 300 * Self.ms)
        #expect(decision == .emit(.settled))
    }

    @Test func aVanishedFileIsDroppedAndPolledFilesKeepTheirTrigger() {
        var machine = Machine(settleDelay: 100 * Self.ms, maximumWait: 1_000 * Self.ms)
        machine.track("gone", observation: observation(size: 1), now: 0)
        machine.track("polled", observation: observation(size: 1), now: 0, trigger: .poll)
        #expect(machine.due(now: 100 * Self.ms).count == 2)
        let gone = machine.observe("gone", observation: nil, now: 100 * Self.ms)
        let polled = machine.observe("polled", observation: observation(size: 1), now: 100 * Self.ms)
        let unknown = machine.observe("never-tracked", observation: observation(size: 1), now: 0)
        #expect(gone == .drop)
        #expect(polled == .emit(.poll))
        #expect(unknown == .drop)
    }

    @Test func aFileThatNeverStopsChangingIsTakenAtTheMaximumWait() {
        var machine = Machine(settleDelay: 300 * Self.ms, maximumWait: 1_000 * Self.ms)
        machine.track("log", observation: observation(size: 0), now: 0)
        var size: Int64 = 0
        var now: Int64 = 0
        var decision = Machine.Decision.wait
        while decision == .wait {
            now = machine.nextDeadline()!
            size += 1
            decision = machine.observe("log", observation: observation(size: size, mtime: size), now: now)
        }
        #expect(decision == .emit(.maximumWait))
        #expect(now == 1_000 * Self.ms)
    }
}

struct RecentEmissionsTests {
    @Test func oneWriteIsReportedOnceAndANewWriteAgain() {
        var recent = RecentEmissions<String>(window: 1_000)
        let first = FileObservation(size: 1, modificationTime: 10, device: 1, inode: 1)
        let second = FileObservation(size: 2, modificationTime: 11, device: 1, inode: 1)
        var answers: [Bool] = []
        answers.append(recent.shouldReport("a", first, now: 0, force: false))
        answers.append(recent.shouldReport("a", first, now: 10, force: false))  // the same write
        answers.append(recent.shouldReport("a", first, now: 20, force: true))  // rescans report regardless
        answers.append(recent.shouldReport("a", second, now: 30, force: false))  // a new write
        answers.append(recent.shouldReport("a", second, now: 2_000, force: false))  // outside the window
        recent.forget("a")
        answers.append(recent.shouldReport("a", second, now: 2_001, force: false))  // deleted and back
        #expect(answers == [true, false, true, true, true, true])
        recent.prune(now: 10_000)
        #expect(recent.count == 0)
    }
}
