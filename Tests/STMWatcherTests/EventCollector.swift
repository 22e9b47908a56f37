import Synchronization
import Testing

@testable import STMWatcher

/// Reads a watcher's events into a log and lets a test await the first event (or set of documents) that
/// matches, with a deadline — never a fixed sleep.
final class EventCollector: Sendable {
    enum Goal {
        case event(@Sendable (InboxEvent) -> Bool)
        /// Satisfied once a `.document` has been seen for every relative path.
        case documents(Set<[UInt8]>)
        /// Satisfied once a `.document` has been seen for every (path, size, mtime, inode).
        case states(Set<DocumentState>)

        mutating func accept(_ event: InboxEvent) -> Bool {
            switch self {
            case .event(let predicate):
                return predicate(event)
            case .documents(var remaining):
                if case .document(let candidate) = event { remaining.remove(candidate.relativePath) }
                self = .documents(remaining)
                return remaining.isEmpty
            case .states(var remaining):
                if case .document(let candidate) = event { remaining.remove(DocumentState(candidate)) }
                self = .states(remaining)
                return remaining.isEmpty
            }
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        let what: String
        let recent: [InboxEvent]
        var description: String {
            "timed out waiting for \(what); last events:\n"
                + recent.map { "  \(EventCollector.describe($0))" }.joined(separator: "\n")
        }
    }

    private struct Waiter {
        let id: Int
        var goal: Goal
        let continuation: CheckedContinuation<InboxEvent?, Never>
    }

    private struct State {
        var events: [InboxEvent] = []
        var waiters: [Waiter] = []
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    static func collecting(_ watcher: InboxWatcher) -> EventCollector {
        let collector = EventCollector()
        let events = watcher.events
        Task {
            for await event in events { collector.append(event) }
            collector.finish()
        }
        return collector
    }

    var events: [InboxEvent] { state.withLock { $0.events } }
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Every `.document` whose relative path is `relativePath`.
    func documents(_ relativePath: [UInt8]) -> [FileCandidate] {
        events.compactMap { event in
            if case .document(let candidate) = event, candidate.relativePath == relativePath { return candidate }
            return nil
        }
    }

    /// Waits for the first event (already seen or to come) matching `predicate`.
    @discardableResult
    func first(
        _ what: String, within timeout: Duration = .seconds(5),
        where predicate: @escaping @Sendable (InboxEvent) -> Bool
    ) async throws -> InboxEvent {
        guard let event = await wait(.event(predicate), timeout: timeout) else {
            throw Timeout(what: what, recent: Array(events.suffix(20)))
        }
        return event
    }

    /// Waits for the first `.document` of `relativePath` (from the start of the log).
    @discardableResult
    func document(_ relativePath: [UInt8], within timeout: Duration = .seconds(5)) async throws -> FileCandidate {
        let event = try await first("a document '\(ByteNames.display(relativePath))'", within: timeout) { event in
            if case .document(let candidate) = event { return candidate.relativePath == relativePath }
            return false
        }
        guard case .document(let candidate) = event else { throw Timeout(what: "a document", recent: []) }
        return candidate
    }

    /// Waits until a `.document` has been seen for each relative path.
    func documents(covering relativePaths: Set<[UInt8]>, within timeout: Duration) async throws {
        guard await wait(.documents(relativePaths), timeout: timeout) != nil else {
            let seen = Set(
                events.compactMap { event -> [UInt8]? in
                    if case .document(let candidate) = event { return candidate.relativePath }
                    return nil
                })
            throw Timeout(
                what: "\(relativePaths.subtracting(seen).count) of \(relativePaths.count) documents",
                recent: Array(events.suffix(10)))
        }
    }

    /// A file's path and what `lstat` said about it.
    struct DocumentState: Hashable, Sendable {
        var path: [UInt8]
        var observation: FileObservation
        init(path: [UInt8], observation: FileObservation) {
            self.path = path
            self.observation = observation
        }
        init(_ candidate: FileCandidate) {
            path = candidate.path
            observation = FileObservation(
                size: candidate.size, modificationTime: candidate.modificationTime, device: candidate.device,
                inode: candidate.inode)
        }
    }

    /// Waits until a `.document` has been seen for each state.
    func documents(reporting states: Set<DocumentState>, within timeout: Duration) async throws {
        guard await wait(.states(states), timeout: timeout) != nil else {
            let seen = Set(
                events.compactMap { event -> DocumentState? in
                    if case .document(let candidate) = event { return DocumentState(candidate) }
                    return nil
                })
            let missing = states.subtracting(seen).map { "\(ByteNames.display($0.path)) size \($0.observation.size)" }
            throw Timeout(
                what: "\(missing.count) of \(states.count) final states: \(missing.prefix(5))",
                recent: Array(events.suffix(10)))
        }
    }

    /// Waits for the event stream to finish.
    func finished(within timeout: Duration = .seconds(5)) async throws {
        // A goal nothing satisfies: the wait ends when the stream finishes (or at the deadline).
        _ = await wait(.event { _ in false }, timeout: timeout)
        guard isFinished else { throw Timeout(what: "the end of the stream", recent: Array(events.suffix(5))) }
    }

    private func wait(_ goal: Goal, timeout: Duration) async -> InboxEvent? {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withCheckedContinuation { continuation in
            let immediate: InboxEvent?? = state.withLock { state in
                var goal = goal
                for event in state.events where goal.accept(event) { return .some(event) }
                if state.finished { return .some(nil) }
                state.waiters.append(Waiter(id: id, goal: goal, continuation: continuation))
                return nil
            }
            if let immediate {
                continuation.resume(returning: immediate)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func append(_ event: InboxEvent) {
        let satisfied: [CheckedContinuation<InboxEvent?, Never>] = state.withLock { state in
            state.events.append(event)
            var done: [CheckedContinuation<InboxEvent?, Never>] = []
            var index = 0
            while index < state.waiters.count {
                if state.waiters[index].goal.accept(event) {
                    done.append(state.waiters.remove(at: index).continuation)
                } else {
                    index += 1
                }
            }
            return done
        }
        for continuation in satisfied { continuation.resume(returning: event) }
    }

    private func finish() {
        let waiting = state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: nil) }
    }

    private func expire(_ id: Int) {
        let expired = state.withLock { state -> CheckedContinuation<InboxEvent?, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        expired?.resume(returning: nil)
    }

    static func describe(_ event: InboxEvent) -> String {
        switch event {
        case .document(let candidate):
            "document \(candidate.stream)/\(ByteNames.display(candidate.relativePath)) [\(candidate.trigger)] size \(candidate.size)"
        case .rejected(let candidate, let reason):
            "rejected \(candidate.stream)/\(ByteNames.display(candidate.relativePath)) [\(candidate.trigger)]: \(reason)"
        case .fileInRoot(_, let name): "fileInRoot \(ByteNames.display(name))"
        default: "\(event)"
        }
    }
}
