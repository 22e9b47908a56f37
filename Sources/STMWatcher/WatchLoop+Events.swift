/// Turning inotify events into inbox events.
extension WatchLoop {
    func handle(_ event: InotifyEvent, root r: Int, now: Int64) {
        if event.mask.contains(.queueOverflow) {
            if !overflowed.contains(r) { overflowed.append(r) }
            return
        }
        guard let target = roots[r].targets[event.watch] else { return }  // a watch we already dropped
        if event.mask.contains(.ignored) {
            watchDropped(r, event.watch, target)
            return
        }
        #if DEBUG
            if !event.name.isEmpty && hiddenNames.ignores(event.name) { return }
        #endif
        switch target {
        case .root:
            handleRootEvent(event, root: r)
        case .directory(let stream, let relative):
            handleFolderEvent(event, root: r, stream: stream, folder: relative, now: now)
        }
    }

    private func handleRootEvent(_ event: InotifyEvent, root r: Int) {
        let mask = event.mask
        if !mask.isDisjoint(with: [.deleteSelf, .moveSelf, .unmount]) {
            rootRemoved(r)
            return
        }
        guard !event.name.isEmpty, !rules.ignores(event.name) else { return }
        if mask.contains(.isDirectory) {
            if !mask.isDisjoint(with: [.create, .movedTo]) {
                // Watch the new stream and everything in it first, then report what was already there.
                guard addStream(r, event.name) else { return }
                let now = MonotonicClock.now()
                walk(r, stream: event.name, from: [], watch: true) { location, status in
                    self.report(location, status, .scan, force: false, now: now)
                }
            } else if !mask.isDisjoint(with: [.delete, .movedFrom]) {
                releaseStream(r, event.name)
            }
        } else if !mask.isDisjoint(with: [.create, .movedTo]) {
            continuation.yield(.fileInRoot(root: roots[r].given, name: event.name))
        }
    }

    private func handleFolderEvent(
        _ event: InotifyEvent, root r: Int, stream: [UInt8], folder: [UInt8], now: Int64
    ) {
        let mask = event.mask
        if !mask.isDisjoint(with: [.deleteSelf, .moveSelf, .unmount]) {
            if folder.isEmpty {
                releaseStream(r, stream)
            } else {
                removeSubtree(r, stream: stream, relative: folder)
            }
            return
        }
        guard !event.name.isEmpty, !rules.ignores(event.name) else { return }
        let location = StreamPath(root: r, stream: stream, relative: ByteNames.join(folder, event.name))

        if mask.contains(.isDirectory) {
            if !mask.isDisjoint(with: [.create, .movedTo]) {
                walk(r, stream: stream, from: location.relative, watch: true) { location, status in
                    self.report(location, status, .scan, force: false, now: now)
                }
            } else if !mask.isDisjoint(with: [.delete, .movedFrom]) {
                removeSubtree(r, stream: stream, relative: location.relative)
            }
            return  // IN_OPEN/IN_CLOSE of folders (our own scans) mean nothing
        }

        if mask.contains(.create), let status = FileStatus.at(path: filePath(location)) {
            if status.kind == .regular {
                // Created but maybe not closed (a hard link, a writer): wait for the close or for it to settle.
                settle.track(location, observation: status.observation, now: now)
            } else if let reason = status.rejection {
                reportRejection(location, status, reason, .created, force: false, now: now)
            }
        }
        if mask.contains(.open) { settle.opened(location) }
        if mask.contains(.closeNoWrite) { settle.closedWithoutWriting(location, now: now) }
        if !mask.isDisjoint(with: [.closeWrite, .movedTo]) {
            settle.remove(location)
            // The name may already be gone (renamed on): the rename's own event reports it.
            if let status = FileStatus.at(path: filePath(location)) {
                report(location, status, mask.contains(.closeWrite) ? .closeWrite : .movedTo, force: false, now: now)
            }
        }
        if !mask.isDisjoint(with: [.movedFrom, .delete]) {
            settle.remove(location)
            recentDocuments.forget(location)
            recentRejections.forget(location)
        }
    }

    /// IN_IGNORED: the kernel dropped a watch (folder deleted, filesystem unmounted).
    private func watchDropped(_ r: Int, _ wd: Int32, _ target: WatchTarget) {
        roots[r].targets[wd] = nil
        if roots[r].watches[target] == wd { roots[r].watches[target] = nil }
        switch target {
        case .root:
            rootRemoved(r)
        case .directory(let stream, let relative):
            if relative.isEmpty {
                releaseStream(r, stream)
            } else {
                removeSubtree(r, stream: stream, relative: relative)
            }
        }
    }
}
