import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

// Writing a watch's output: a stream whole, a layout in place while the mirror stands.
extension Watcher {
    /// The output directory changed other than by this watch: the next build writes it in full.
    func dropMirror() {
        mirror = nil
        outputWatches = [:]
    }

    /// An event in the output directory. The mirror stands if the event concerns a name that is
    /// not extc's, or is one its own last write caused; anything else means another hand.
    func noteOutputEvent(in sub: String, _ mask: UInt32, _ name: String) {
        if mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { return dropMirror() }
        guard let mirror, !name.isEmpty else { return }
        let path = sub.isEmpty ? name : "\(sub)/\(name)"
        guard mirror.owns(path) else { return }  // not a temporary either: extc never names a file so
        if mask & UInt32(IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0, mirror.consume(path) { return }
        dropMirror()
    }

    func writeOutput(_ output: BuildOutput) throws -> Int {
        switch request.build.target {
        case .file(let path):
            let written = try writeStream(output, to: path)
            if output.files[0].sensitive, !exposureChecked {
                exposureChecked = true
                if let exposure = Git.exposure(of: path) { console.warning(exposure) }
            }
            return written
        case .directory(let dir): return try writeLayout(output, to: dir)
        case .stdout: return 0
        }
    }

    /// The stream: written over the file the last save replaced (`RecycledFile`).
    private func writeStream(_ output: BuildOutput, to path: String) throws -> Int {
        // Once: no next save to keep the replaced file for; written as `build` writes it.
        if request.once { return try OutputWriter.write(output.files[0], toFile: path) ? 1 : 0 }
        let stream = self.stream ?? RecycledFile(path)
        self.stream = stream
        let revision = output.generation.map { RecycledFile.Revision(version: $0, base: output.changes?.from, places: output.changes?.places ?? []) }
        return try OutputWriter.write(output.files[0], to: stream, revision: revision) ? 1 : 0
    }

    /// A layout directory: only the files that changed while the mirror stands; else in full,
    /// after which the directory is watched, then read back whole, and the mirror made from it.
    /// (Watched before the read: a change after the watch is an event, one before it a difference.)
    func writeLayout(_ output: BuildOutput, to dir: String) throws -> Int {
        noteStateEvents()  // whatever happened there so far is judged before the mirror is used
        if let mirror {
            do {
                if let report = try mirror.update(output.files, withheld: output.withheld, generation: output.generation,
                                                  changes: output.changes) {
                    return report.written.count
                }
            } catch {
                dropMirror()  // some files may not hold what it says: the next build writes them all
                throw error
            }
        }
        dropMirror()
        let written = try OutputWriter.write(output.files, toDirectory: dir, withheld: output.withheld).written.count
        guard !request.once, inotify >= 0 else { return written }
        noteStateEvents()  // the write's own events, queued before the directory is watched as output
        for sub in [""] + LayoutMirror.subdirectories(of: output.files).sorted() {
            let wd = inotify_add_watch(inotify, sub.isEmpty ? dir : "\(dir)/\(sub)", Self.events)
            guard wd >= 0 else { dropMirror(); return written }
            outputWatches[wd] = sub
        }
        mirror = LayoutMirror(verifying: output.files, in: dir, withheld: output.withheld, generation: output.generation)
        return written
    }
}
