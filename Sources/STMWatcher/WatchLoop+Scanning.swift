internal import Glibc

/// Walking folders, adding watches, and keeping the set of streams and watches in line with the disk.
extension WatchLoop {
    enum WatchOutcome {
        case watching
        /// The folder is gone (or became something else): nothing to watch.
        case gone
        /// Reported; for ENOSPC the root falls back to polling.
        case failed
    }

    /// Watches `target` unless it is watched already.
    func ensureWatch(_ r: Int, _ target: WatchTarget) -> WatchOutcome {
        if roots[r].watches[target] != nil { return .watching }
        guard let inotify = roots[r].inotify else { return .failed }
        let path = directoryPath(r, target)
        let mask: InotifyMask = target == .root ? .rootWatch : .streamWatch
        var result: Result<Int32, Errno>
        #if DEBUG
            if let after = faults.failAddWatchAfter, successfulAddWatches >= after {
                faults.failAddWatchAfter = nil
                result = .failure(Errno(ENOSPC))
            } else {
                result = inotify.addWatch(path, mask: mask)
            }
        #else
            result = inotify.addWatch(path, mask: mask)
        #endif
        switch result {
        case .success(let wd):
            #if DEBUG
                successfulAddWatches += 1
            #endif
            // The same descriptor under another name: the folder was renamed before we saw the event.
            if let previous = roots[r].targets[wd], previous != target { roots[r].watches[previous] = nil }
            roots[r].targets[wd] = target
            roots[r].watches[target] = wd
            return .watching
        case .failure(let error) where error.code == ENOENT || error.code == ENOTDIR:
            return .gone
        case .failure(let error) where error.code == ENOSPC:
            let failure = WatchError.watchLimit(
                path: ByteNames.display(path), limit: WatchError.sysctlValue("max_user_watches"))
            if preparing {
                reportFailure(failure, fatal: true)
            } else if !fallbackRequested.contains(where: { $0.root == r }) {
                // Reported once the root is polled, so whoever reads the failure sees `pollingRoots` include it.
                fallbackRequested.append((r, failure))
            }
            return .failed
        case .failure(let error):
            reportFailure(
                .systemCall(name: "inotify_add_watch", path: ByteNames.display(path), errno: error.code),
                fatal: target == .root)
            return .failed
        }
    }

    /// Visits every folder of `stream` from `relative` down — watching each one before listing it when `watch`,
    /// so a file created meanwhile raises an event — and calls `visit` for every entry that is not a folder.
    /// Returns the folders listed, or nil when the walk was cut short (stop, or the watch limit).
    @discardableResult
    func walk(
        _ r: Int, stream: [UInt8], from relative: [UInt8], watch: Bool, visit: ((StreamPath, FileStatus) -> Void)?
    ) -> Set<[UInt8]>? {
        var pending = [relative]
        var seen = Set<[UInt8]>()
        while let folder = pending.popLast() {
            if control.isStopping { return nil }
            if watch {
                switch ensureWatch(r, .directory(stream: stream, relative: folder)) {
                case .watching: break
                case .gone: continue
                case .failed:
                    if preparationError != nil || fallbackRequested.contains(where: { $0.root == r }) { return nil }
                    continue  // an unreadable folder was reported; its siblings are still watched
                }
            }
            let path = directoryPath(r, .directory(stream: stream, relative: folder))
            switch DirectoryReader.list(path, include: { !self.rules.ignores($0) }) {
            case .failure(.gone):
                continue
            case .failure(.failed(let code)):
                reportFailure(.systemCall(name: "opendir", path: ByteNames.display(path), errno: code))
                continue
            case .success(let entries):
                seen.insert(folder)
                for entry in entries {
                    let child = ByteNames.join(folder, entry.name)
                    if entry.status.kind == .directory {
                        pending.append(child)
                    } else {
                        visit?(StreamPath(root: r, stream: stream, relative: child), entry.status)
                    }
                }
            }
        }
        return seen
    }

    /// Brings one root (or one of its streams) in line with the disk and reports every file present, even
    /// ones reported before: the start-up catch-up scan, overflow rescans and requested rescans.
    func reconcile(_ r: Int, only stream: [UInt8]? = nil) {
        guard !roots[r].isRemoved else { return }
        let now = MonotonicClock.now()
        let entries: [DirectoryReader.Entry]
        switch DirectoryReader.list(roots[r].bytes, include: { !self.rules.ignores($0) }) {
        case .success(let listed): entries = listed
        case .failure(.gone):
            rootRemoved(r)
            return
        case .failure(.failed(let code)):
            reportFailure(.systemCall(name: "opendir", path: roots[r].given, errno: code))
            return
        }
        let folders = entries.filter { $0.status.kind == .directory }.map(\.name)
        let present = Set(folders)
        var scope = folders
        if let stream {
            guard present.contains(stream) else {
                releaseStream(r, stream)
                return
            }
            scope = [stream]
        } else {
            let rootFiles = entries.filter { $0.status.kind != .directory }.map(\.name)
            for name in rootFiles { continuation.yield(.fileInRoot(root: roots[r].given, name: name)) }
            roots[r].knownRootFiles = Set(rootFiles)
            for name in roots[r].streams.keys where !present.contains(name) { releaseStream(r, name) }
            roots[r].refusedStreams.formIntersection(present)
        }
        for name in scope {
            guard addStream(r, name) else { continue }
            let polling = roots[r].isPolling
            var seenFiles = Set<StreamPath>()
            var found: [(location: StreamPath, status: FileStatus)] = []
            let folders = walk(r, stream: name, from: [], watch: !polling) { location, status in
                seenFiles.insert(location)
                found.append((location, status))
            }
            // A stream's backlog is reported in (mtime, name) order, the order its files arrived in, so stream memory
            // sees a catch-up after downtime as it would have seen the files live.
            found.sort { lhs, rhs in
                lhs.status.modificationTime != rhs.status.modificationTime
                    ? lhs.status.modificationTime < rhs.status.modificationTime
                    : lhs.location.relative.lexicographicallyPrecedes(rhs.location.relative)
            }
            for (location, status) in found { report(location, status, .scan, force: true, now: now) }
            guard let folders else { return }
            if polling {
                let inStream = { (location: StreamPath) in location.stream == name }
                roots[r].known = roots[r].known.filter { !inStream($0.key) || seenFiles.contains($0.key) }
                roots[r].knownSpecial = roots[r].knownSpecial.filter { !inStream($0.key) || seenFiles.contains($0.key) }
            } else {
                // Watches on folders that no longer exist (their events were lost in an overflow).
                for (target, wd) in roots[r].watches {
                    guard case .directory(let s, let relative) = target, s == name, !folders.contains(relative) else {
                        continue
                    }
                    roots[r].inotify?.removeWatch(wd)
                    roots[r].watches[target] = nil
                    roots[r].targets[wd] = nil
                }
            }
        }
    }

    /// Registers a stream and reports it; false when another root has a stream of that name (reported once).
    func addStream(_ r: Int, _ name: [UInt8]) -> Bool {
        if roots[r].streams[name] != nil { return true }
        let display = ByteNames.display(name)
        if let other = roots.indices.first(where: { $0 != r && roots[$0].streams[name] != nil }) {
            if roots[r].refusedStreams.insert(name).inserted {
                let paths = [ByteNames.join(roots[other].bytes, name), ByteNames.join(roots[r].bytes, name)]
                reportFailure(.duplicateStream(stream: display, paths: paths.map(ByteNames.display)))
            }
            return false
        }
        roots[r].streams[name] = display
        continuation.yield(.streamAdded(root: roots[r].given, stream: display))
        return true
    }

    /// Forgets a stream (deleted, renamed away, unmounted) and reports it, once.
    func releaseStream(_ r: Int, _ name: [UInt8]) {
        roots[r].refusedStreams.remove(name)
        guard let display = roots[r].streams.removeValue(forKey: name) else { return }
        removeSubtree(r, stream: name, relative: [])
        continuation.yield(.streamRemoved(root: roots[r].given, stream: display))
    }

    /// Drops the watches and everything remembered below a folder that went away.
    func removeSubtree(_ r: Int, stream: [UInt8], relative: [UInt8]) {
        let inside = { (location: StreamPath) in
            location.root == r && location.stream == stream && ByteNames.isWithin(location.relative, relative)
        }
        for (target, wd) in roots[r].watches {
            guard case .directory(let s, let folder) = target, s == stream, ByteNames.isWithin(folder, relative) else {
                continue
            }
            roots[r].inotify?.removeWatch(wd)
            roots[r].watches[target] = nil
            roots[r].targets[wd] = nil
        }
        settle.removeAll(where: inside)
        recentDocuments.forgetAll(where: inside)
        recentRejections.forgetAll(where: inside)
        if roots[r].isPolling {
            roots[r].known = roots[r].known.filter { !inside($0.key) }
            roots[r].knownSpecial = roots[r].knownSpecial.filter { !inside($0.key) }
        }
    }

    /// The root folder itself went away: release its streams and stop watching it.
    func rootRemoved(_ r: Int) {
        guard !roots[r].isRemoved else { return }
        for name in Array(roots[r].streams.keys) { releaseStream(r, name) }
        roots[r].inotify = nil
        roots[r].targets = [:]
        roots[r].watches = [:]
        roots[r].isRemoved = true
        roots[r].isPolling = false
        control.pollingRoots = roots.filter(\.isPolling).map(\.given)
        reportFailure(.rootRemoved(path: roots[r].given))
    }

    /// IN_Q_OVERFLOW: events were lost, so everything known about the root may be stale.
    func overflow(_ r: Int) {
        guard !roots[r].isRemoved else { return }
        continuation.yield(.overflow(root: roots[r].given))
        settle.removeAll { $0.root == r }
        reconcile(r)
    }

    /// The watch limit was hit while running: this root is polled from now on, so nothing is missed; the
    /// failure is reported after the switch.
    func fallBackToPolling(_ r: Int, reporting failure: WatchError) {
        guard !roots[r].isRemoved, !roots[r].isPolling else { return }
        defer { reportFailure(failure) }
        roots[r].inotify = nil
        roots[r].targets = [:]
        roots[r].watches = [:]
        roots[r].isPolling = true
        roots[r].nextPoll = MonotonicClock.now() + pollInterval
        settle.removeAll { $0.root == r }
        control.pollingRoots = roots.filter(\.isPolling).map(\.given)
        reconcile(r)
    }
}
