import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

// The certificate state directories a watch keeps inotify on: a change there starts no build but
// makes the memo check that server's certificates again.
extension Watcher {
    /// Watches each server's state directory whose path is not watched, or names another
    /// directory than the one watched. `madeNow`: the build just made or read it before its watch
    /// was in place, so what it saw there is not trusted. A build makes directories but never
    /// replaces one, so after it only paths not watched before it need a look.
    /// `quiet`: nothing but file edits happened, and every state directory's parent is the one
    /// it was (so no watched directory was moved away from its path along with its parent): a
    /// directory watched since then is still the one at its path, or its watch said otherwise.
    func watchStates(_ program: Program, madeNow: Bool, quiet: Bool = false) {
        guard inotify >= 0 else { return }
        let full = !madeNow && !quiet
        if full { stateParents = [:] }
        var parentsWatched = true, allWatched = true
        defer { if full, !parentsWatched { stateParents = [:] } }  // then no build is quiet about states
        let servers = program.servers, known = watchedServers
        defer { if madeNow { watchedServers = allWatched ? servers : [] } }
        for (i, server) in servers.enumerated() {
            // The same server (same spec parse) at the same place has the same directory, watched.
            if madeNow || quiet, i < known.count, known[i] === server { continue }
            let dir = request.build.state.directory(for: server)
            defer { if watchedStates[dir] == nil { allWatched = false } }
            if madeNow || quiet, watchedStates[dir] != nil { continue }
            if full, !noteStateParent(of: dir) { parentsWatched = false }
            guard let identity = FileIdentity(directory: dir) else {
                // Gone: made again by the build, and watched after it.
                if watchedStates.removeValue(forKey: dir) != nil { memo.stateChanged(dir) }
                continue
            }
            guard watchedStates[dir] != identity else { continue }
            let replaced = watchedStates[dir] != nil
            let wd = inotify_add_watch(inotify, dir, Self.events)
            guard wd >= 0 else { memo.stateChanged(dir); continue }  // unwatched: never trusted
            stateWatches[wd] = dir
            watchedStates[dir] = identity
            if madeNow || replaced { memo.stateChanged(dir) }
        }
    }

    /// Whether an event in a state directory's parent may change what a state directory's path
    /// names: an entry that came, went or was renamed (a directory, or a symlink retargeted), or
    /// the parent itself going. Not a file's contents, and not the names extc keeps there
    /// itself (`.lock`, `.gitignore`, temporaries: all hidden, which a server's name never is).
    static func movesStateDirectory(_ mask: UInt32, _ name: String) -> Bool {
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { return true }
        return mask & UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) != 0 && !name.hasPrefix(".")
    }

    /// Watches a state directory's parent (before its identity is taken: a change after the
    /// watch is an event, one before it a different identity next time).
    /// False when it cannot be watched.
    func noteStateParent(of dir: String) -> Bool {
        let parent = FileIO.directory(of: dir)
        guard stateParents[parent] == nil else { return true }
        let wd = inotify_add_watch(inotify, parent, Self.events)
        guard wd >= 0, let identity = FileIdentity(directory: parent) else { return false }
        stateParentWatches[wd] = parent
        stateParents[parent] = identity
        return true
    }

    /// Whether every state directory's parent seen at the last full look is still at its path.
    func stateParentsStand() -> Bool {
        !stateParents.isEmpty && stateParents.allSatisfy { FileIdentity(directory: $0.key) == $0.value }
    }

    /// Reads the events queued while the specs were compiled, just before the certificate pass:
    /// a state change is then seen by this build. A spec change is kept for the next build.
    func noteStateEvents() {
        guard inotify >= 0, let change = drainEvents() else { return }
        if change == .overflow { forgetKept() }
        changedDuringBuild = true
    }
}
