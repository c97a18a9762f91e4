import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

// The spec directories a watch keeps inotify on, and what their events say changed.
extension Watcher {
    /// Watches every directory that holds an input (or a file a build reads), and each one's
    /// parent for the directory's own name, so a spec directory that is deleted and re-created
    /// (`rm -rf specs; mkdir specs; cp ...`) or renamed into place is found again. Returns
    /// whether a directory that had no watch got one (its files may already have changed).
    @discardableResult
    func syncWatches() -> Bool {
        // The directories a spec may be in change only when something comes or goes (a
        // structural change); each is still watched again by path, so one replaced is found.
        if specChanges.structural || wanted?.extra != extraFiles {
            wanted = (extraFiles, request.build.inputs.watchedDirectories(extra: extraFiles, excluding: ownDirectories))
        }
        let wanted = self.wanted!.directories
        var parents: [(String, [String])] = []
        // Each directory's parent, for the directory's own name; not for one below another watched
        // directory, whose parent sees it come and go already.
        let tops = wanted.filter { w in !wanted.contains { $0.directory != w.directory && w.directory.hasPrefix($0.directory + "/") } }
        for (dir, _) in tops where dir != "/" && dir != "." {
            let parent = FileIO.directory(of: dir), name = FileIO.baseName(of: dir)
            if let i = parents.firstIndex(where: { $0.0 == parent }) { parents[i].1.append(name) } else { parents.append((parent, [name])) }
        }
        var regained = false
        for (dir, names) in wanted + parents {
            let known = watches.values.contains { $0.directory == dir }
            let wd = inotify_add_watch(inotify, dir, Self.events)
            guard wd >= 0 else { continue }
            // inotify returns the same descriptor for a directory watched twice: merge the names.
            let merged = (watches[wd]?.names ?? []) + names.filter { !(watches[wd]?.names ?? []).contains($0) }
            watches[wd] = (dir, merged)
            if !known, wanted.contains(where: { $0.0 == dir }), started { regained = true }
        }
        started = true
        if regained { specChanges.structural = true }
        return regained
    }
}

/// What the events since the last build say about the specs: which file names were written, or
/// that something structural happened (a file came or went, a directory moved or was replaced,
/// a watch ended, events were lost), after which every spec is listed and looked at again.
struct SpecChanges {
    var touched: Set<String> = []
    var structural = true  // a watch's first build looks at everything

    /// One event on a name that matters. A rename onto a name already among the specs (an
    /// editor's save) is an edit of that file; onto a new name it adds one.
    mutating func note(_ mask: UInt32, _ name: String, structural selfOrDirectory: Bool, known: Set<String>) {
        touched.insert(name)
        if selfOrDirectory || mask & UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM) != 0
            || (mask & UInt32(IN_MOVED_TO) != 0 && !known.contains(name)) {
            structural = true
        }
    }
}
