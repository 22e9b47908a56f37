/// Timers: settle checks for created-but-not-closed files, and polling passes for polled roots.
extension WatchLoop {
    func runSettleChecks(now: Int64) {
        guard !settle.isEmpty else { return }
        for location in settle.due(now: now) {
            let status = FileStatus.at(path: filePath(location))
            let regular = status?.kind == .regular ? status : nil
            if case .emit(let trigger) = settle.observe(location, observation: regular?.observation, now: now),
                let regular
            {
                reportDocument(location, regular, trigger, force: false, now: now)
            }
        }
    }

    func runPollingPasses(now: Int64) {
        for r in roots.indices where roots[r].isPolling && !roots[r].isRemoved && roots[r].nextPoll <= now {
            pollingPass(r, now: now)
            roots[r].nextPoll = MonotonicClock.now() + pollInterval
        }
    }

    /// Lists a polled root: new and removed streams and root files are reported at once; a new or changed
    /// file goes to the settle rules and is reported (trigger `.poll`) once stable for the settle delay.
    private func pollingPass(_ r: Int, now: Int64) {
        let entries: [DirectoryReader.Entry]
        switch DirectoryReader.list(roots[r].bytes, include: { !self.rules.ignores($0) }) {
        case .success(let listed): entries = listed
        case .failure(.gone):
            rootRemoved(r)
            return
        case .failure(.failed):
            return  // a transient error (EACCES, ESTALE on NFS…): the next pass tries again
        }
        let folders = entries.filter { $0.status.kind == .directory }.map(\.name)
        let present = Set(folders)
        let rootFiles = entries.filter { $0.status.kind != .directory }.map(\.name)
        for name in rootFiles where !roots[r].knownRootFiles.contains(name) {
            continuation.yield(.fileInRoot(root: roots[r].given, name: name))
        }
        roots[r].knownRootFiles = Set(rootFiles)
        for name in roots[r].streams.keys where !present.contains(name) { releaseStream(r, name) }
        roots[r].refusedStreams.formIntersection(present)

        for name in folders {
            guard addStream(r, name) else { continue }
            var seenFiles = Set<StreamPath>()
            var changed: [(location: StreamPath, status: FileStatus)] = []
            let listed = walk(r, stream: name, from: [], watch: false) { location, status in
                seenFiles.insert(location)
                if status.kind == .regular {
                    if self.roots[r].known[location] != status.observation { changed.append((location, status)) }
                } else if let reason = status.rejection, self.roots[r].knownSpecial[location] != status.observation {
                    self.reportRejection(location, status, reason, .poll, force: false, now: now)
                }
            }
            // Tracked in (mtime, name) order, so the files one pass finds are reported in the order they arrived, as
            // a catch-up scan reports them.
            changed.sort { lhs, rhs in
                lhs.status.modificationTime != rhs.status.modificationTime
                    ? lhs.status.modificationTime < rhs.status.modificationTime
                    : lhs.location.relative.lexicographicallyPrecedes(rhs.location.relative)
            }
            for (location, status) in changed {
                settle.track(location, observation: status.observation, now: now, trigger: .poll)
            }
            guard listed != nil else { return }
            let gone = { (location: StreamPath) in location.stream == name && !seenFiles.contains(location) }
            roots[r].known = roots[r].known.filter { !gone($0.key) }
            roots[r].knownSpecial = roots[r].knownSpecial.filter { !gone($0.key) }
        }
    }
}
