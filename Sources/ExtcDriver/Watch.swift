import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

public struct WatchRequest: Sendable {
    public var build: BuildRequest
    /// Quiet time after the last event before a rebuild, in milliseconds.
    public var settleMilliseconds: Int32 = 50
    /// Build once and exit (for tests and scripts).
    public var once = false

    public init(build: BuildRequest) { self.build = build }
}

/// `extc watch`: builds, then rebuilds whenever an input changes.
///
/// Guarantees: output files are replaced atomically and only when their bytes change; a build with
/// errors leaves the previous output as it was; certificates follow the backend's reuse rules, so
/// an edit that does not touch cert-relevant fields re-uses them byte for byte; SIGINT and SIGTERM
/// are taken between builds (a handler only writes to a pipe the loop polls), so no temporary file is ever left behind.
public final class Watcher {
    let request: WatchRequest
    let console: Console
    let frontEnd = FrontEnd()
    /// Each server's results from the last build, reused while its inputs stay the same.
    lazy var memo = BuildMemo(frontEnd: frontEnd)
    private var inotify: Int32 = -1
    private var signals: Int32 = -1
    /// The first sync has happened: later ones that add a watch found a directory again.
    private var started = false
    /// Watch descriptor -> (directory, names that matter in it; globs allowed).
    private var watches: [Int32: (directory: String, names: [String])] = [:]
    private var extraFiles: [String] = []
    /// Watch descriptor -> a server's state directory: a change there is not an edit (it starts
    /// no build) but tells the memo to check that server's certificates again.
    private var stateWatches: [Int32: String] = [:]
    /// Each watched state directory, with the directory (device, inode) the watch is on: a path
    /// that now names another directory (a symlink or a directory moved into place) is watched
    /// again, and what was learned under the old one is not trusted.
    private var watchedStates: [String: FileIdentity] = [:]
    /// The output directory as this watch last wrote it; nil: the next build writes it in full.
    private var mirror: LayoutMirror?
    /// Watch descriptor -> the output directory's subdirectory it is on ("" for the directory).
    private var outputWatches: [Int32: String] = [:]
    /// What changed among the specs since the last build began, from the events.
    private var specChanges = SpecChanges()
    /// The spec paths the last full look found, and their file names.
    private var specPaths: [String] = []
    private var specNames: Set<String> = []
    /// The directories `syncWatches` last wanted, with the extra files it was asked for.
    private var wanted: (extra: [String], directories: [(directory: String, names: [String])])?
    /// Each state directory's parent, as it was when the state directories were last looked at;
    /// emptied by any event in one of them.
    private var stateParents: [String: FileIdentity] = [:]
    /// The servers, in program order, whose state directories were all watched after the last
    /// build (empty when one was not, or a state directory's watch has ended since).
    private var watchedServers: [APIServer] = []
    /// Watch descriptor -> a state directory's parent.
    private var stateParentWatches: [Int32: String] = [:]
    /// A spec changed while a build was running (seen when it looked for state changes): the
    /// loop builds again at once.
    private var changedDuringBuild = false
    /// The output and state directories (canonical): their own comings and goings are not edits.
    private lazy var ownDirectories: Set<String> = {
        var out: Set<String> = []
        if case .directory(let d) = request.build.target { out.insert(FileIO.canonical(d)) }
        if let s = request.build.state.override { out.insert(FileIO.canonical(s)) }
        return out
    }()

    public init(_ request: WatchRequest, console: Console) {
        self.request = request
        self.console = console
    }

    public func run() -> ExitStatus {
        Safety.disableCoreDumps()
        if case .stdout = request.build.target {
            console.error("watch needs -o FILE or --out-dir DIR")
            return .usage
        }
        if request.once { return rebuild() }
        guard setUp() else { return .ioError }
        defer { close(inotify); close(signals) }
        // Watch before the first build, so a save made while it runs is not missed; sync again
        // after it, for the CA files that build found.
        syncWatches()
        _ = rebuild()
        syncWatches()
        while true {
            guard let event = waitForChange() else { return .success }
            if event == .overflow { forgetKept() }
            _ = rebuild()
            // A directory that came back (deleted and re-created, or replaced by a rename) is
            // watched again; files that landed in it before the watch was in place need a build.
            while syncWatches() || changedDuringBuild { _ = rebuild() }
        }
    }

    // MARK: Setup

    private func setUp() -> Bool {
        var fds: [Int32] = [0, 0]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
            signals = fds[0]
            signalPipeWriteEnd = fds[1]
            signal(SIGINT, onSignal)
            signal(SIGTERM, onSignal)
            signal(SIGHUP, onSignal)  // a closed terminal ends watch as cleanly as Ctrl-C
            // A parent may have started us with these blocked (Foundation's Process does).
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, SIGINT)
            sigaddset(&mask, SIGTERM)
            sigaddset(&mask, SIGHUP)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        }
        inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if signals < 0 || inotify < 0 {
            console.error("cannot watch files: \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    /// Watches every directory that holds an input (or a file a build reads), and each one's
    /// parent for the directory's own name, so a spec directory that is deleted and re-created
    /// (`rm -rf specs; mkdir specs; cp ...`) or renamed into place is found again. Returns
    /// whether a directory that had no watch got one (its files may already have changed).
    @discardableResult
    private func syncWatches() -> Bool {
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

    // MARK: Events

    /// What every watch (spec, CA file or state directory) reports: any change to a file in the
    /// directory, entries coming and going, and the directory itself going.
    private static let events = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)

    /// Events were lost (the queue overflowed): nothing kept from earlier builds is trusted.
    private func forgetKept() {
        specChanges.structural = true
        stateParents = [:]
        watchedServers = []
        frontEnd.reset()
        memo.reset()
        dropMirror()
    }

    /// The output directory changed other than by this watch: the next build writes it in full.
    private func dropMirror() {
        mirror = nil
        outputWatches = [:]
    }

    enum Change { case files, overflow }

    /// Blocks until a relevant change has settled; nil on SIGINT/SIGTERM.
    private func waitForChange() -> Change? {
        var change: Change? = nil
        while true {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            let timeout: Int32 = change == nil ? -1 : request.settleMilliseconds
            let n = poll(&fds, 2, timeout)
            if n < 0, errno == EINTR { continue }
            if fds[1].revents != 0 { return nil }
            if n == 0 { return change }  // settled
            if let c = drainEvents() { change = change == .overflow ? .overflow : c }
        }
    }

    /// Reads all queued events; the strongest relevant change, if any.
    private func drainEvents() -> Change? {
        var result: Change? = nil
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            if n <= 0 { return result }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= n {
                let (wd, mask, length, name) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int, String) in
                    let e = raw.load(fromByteOffset: offset, as: inotify_event.self)
                    let start = offset + MemoryLayout<inotify_event>.size
                    let bytes = raw[start..<(start + Int(e.len))].prefix { $0 != 0 }
                    return (e.wd, e.mask, Int(e.len), String(decoding: bytes, as: UTF8.self))
                }
                offset += MemoryLayout<inotify_event>.size + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { result = .overflow; continue }
                if let sub = outputWatches[wd] { noteOutputEvent(in: sub, mask, name) }
                if stateParentWatches[wd] != nil, Self.movesStateDirectory(mask, name) {
                    // A name came or went beside the state directories: look at each again.
                    stateParents = [:]
                    if mask & UInt32(IN_IGNORED) != 0 { stateParentWatches[wd] = nil }
                }
                if let dir = stateWatches[wd] {
                    memo.stateChanged(dir)
                    if mask & UInt32(IN_IGNORED) != 0 { stateWatches[wd] = nil; watchedStates[dir] = nil; watchedServers = [] }
                }
                // The same directory may be watched for several reasons (a shared CA or a volume's
                // files in a state directory, specs beside the output): then it is an input's too.
                guard watches[wd] != nil else { continue }
                if mask & UInt32(IN_IGNORED) != 0 { watches[wd] = nil; specChanges.structural = true; continue }
                guard let w = watches[wd] else { continue }
                // A subdirectory that comes or goes where specs are looked for at any depth (not
                // the output or state directory, which this watcher's own builds replace).
                let directory = mask & UInt32(IN_ISDIR) != 0 && !name.hasPrefix(".") && w.names.contains(Inputs.anySpec)
                    && !ownDirectories.contains(FileIO.canonical(w.directory) + "/" + name)
                let selfOrDirectory = mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 || directory
                if selfOrDirectory || w.names.contains(where: { fnmatch($0, name, 0) == 0 }) {
                    specChanges.note(mask, name, structural: selfOrDirectory, known: specNames)
                    if result == nil { result = .files }
                }
            }
        }
    }

    /// An event in the output directory. The mirror stands if the event concerns a name that is
    /// not extc's, or is one its own last write caused; anything else means another hand.
    private func noteOutputEvent(in sub: String, _ mask: UInt32, _ name: String) {
        if mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { return dropMirror() }
        guard let mirror, !name.isEmpty else { return }
        let path = sub.isEmpty ? name : "\(sub)/\(name)"
        guard mirror.owns(path) else { return }  // not a temporary either: extc never names a file so
        if mask & UInt32(IN_MOVED_TO | IN_DELETE) != 0, mirror.consume(path) { return }
        dropMirror()
    }

    // MARK: Building

    /// One build; prints its diagnostics and one status line.
    @discardableResult
    func rebuild() -> ExitStatus {
        let start = Watcher.monotonic()
        changedDuringBuild = false
        let commands = Commands(console: console)
        // Without anything structural since the last build, the specs are the same files and
        // only those the events named may have changed: no listing, no stat of the rest.
        let changes = specChanges
        specChanges = SpecChanges(structural: false)
        if changes.structural || specPaths.isEmpty || request.once {
            specPaths = request.build.inputs.paths()
            specNames = Set(specPaths.map(FileIO.baseName))
        }
        let (result, status) = commands.compile(request.build.inputs, paths: specPaths, frontEnd: frontEnd,
                                                touched: changes.structural ? nil : changes.touched)
        guard let result else { return finish(start, status: status, objects: 0, written: 0, diagnostics: []) }
        console.report(result.diagnostics)
        guard let program = result.program else {
            return finish(start, status: status, objects: 0, written: 0, diagnostics: result.diagnostics)
        }
        extraFiles = caFiles(program)
        if program.servers.isEmpty {
            // A save in progress (an empty or truncated file) must not empty the output.
            console.error("the specs define no apiserver; the previous output was kept")
            return finish(start, status: .specErrors, objects: 0, written: 0, diagnostics: result.diagnostics)
        }
        let backend = CertBackend(state: request.build.state, env: request.build.env)
        do {
            // State directories that exist are watched before the build reads them; those it
            // makes, after (and are then checked again by the next build).
            watchStates(program, madeNow: false, quiet: !changes.structural && stateParentsStand())
            defer { watchStates(program, madeNow: true) }
            noteStateEvents()
            let output = try Builder.build(program, options: request.build.options, certs: backend, memo: request.once ? nil : memo)
            output.notes.forEach(console.note)
            console.report(output.diagnostics)
            let all = result.diagnostics + output.diagnostics
            if output.failed { return finish(start, status: output.internalFailure ? .internalError : .specErrors, objects: 0, written: 0, diagnostics: all) }
            let written = try writeOutput(output)
            return finish(start, status: .success, objects: output.objects.count, written: written, diagnostics: all,
                          reuse: request.once ? nil : memo.lastReuse)
        } catch {
            console.error("\(error)")
            return finish(start, status: .ioError, objects: 0, written: 0, diagnostics: result.diagnostics)
        }
    }

    /// Watches each server's state directory whose path is not watched, or names another
    /// directory than the one watched. `madeNow`: the build just made or read it before its watch
    /// was in place, so what it saw there is not trusted. A build makes directories but never
    /// replaces one, so after it only paths not watched before it need a look.
    /// `quiet`: nothing but file edits happened, and every state directory's parent is the one
    /// it was (so no watched directory was moved away from its path along with its parent): a
    /// directory watched since then is still the one at its path, or its watch said otherwise.
    private func watchStates(_ program: Program, madeNow: Bool, quiet: Bool = false) {
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
    private func noteStateParent(of dir: String) -> Bool {
        let parent = FileIO.directory(of: dir)
        guard stateParents[parent] == nil else { return true }
        let wd = inotify_add_watch(inotify, parent, Self.events)
        guard wd >= 0, let identity = FileIdentity(directory: parent) else { return false }
        stateParentWatches[wd] = parent
        stateParents[parent] = identity
        return true
    }

    /// Whether every state directory's parent seen at the last full look is still at its path.
    private func stateParentsStand() -> Bool {
        !stateParents.isEmpty && stateParents.allSatisfy { FileIdentity(directory: $0.key) == $0.value }
    }

    /// Reads the events queued while the specs were compiled, just before the certificate pass:
    /// a state change is then seen by this build. A spec change is kept for the next build.
    private func noteStateEvents() {
        guard inotify >= 0, let change = drainEvents() else { return }
        if change == .overflow { forgetKept() }
        changedDuringBuild = true
    }

    private func writeOutput(_ output: BuildOutput) throws -> Int {
        switch request.build.target {
        // Not synced: the stream is derived, rewritten on every save, and checked against the
        // specs by the watch's first build, which rewrites whatever a crash left behind.
        // A patched build that changed some text cannot match the file the last one wrote.
        case .file(let path):
            let differs = output.changes.map { !$0.places.isEmpty } ?? false
            return try OutputWriter.write(output.files[0], toFile: path, durable: false, differs: differs) ? 1 : 0
        case .directory(let dir): return try writeLayout(output, to: dir)
        case .stdout: return 0
        }
    }

    /// A layout directory: only the files that changed while the mirror stands; else in full,
    /// after which the directory is watched, then read back whole, and the mirror made from it.
    /// (Watched before the read: a change after the watch is an event, one before it a difference.)
    private func writeLayout(_ output: BuildOutput, to dir: String) throws -> Int {
        noteStateEvents()  // whatever happened there so far is judged before the mirror is used
        if let mirror, let report = try mirror.update(output.files, withheld: output.withheld, generation: output.generation,
                                                      changes: output.changes) {
            return report.written.count
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

    /// Files a build reads besides the specs: CA files and the files of generated ConfigMaps.
    private func caFiles(_ program: Program) -> [String] {
        program.servers.flatMap { s -> [String] in
            guard case .files(let cert, let key) = s.certs.ca.value else { return [] }
            let dir = FileIO.directory(of: s.span.file.path)
            return [FileIO.resolve(cert, relativeTo: dir), FileIO.resolve(key, relativeTo: dir)]
        } + ConfigFileReader.paths(program)
    }

    /// `[12:00:01] built in 3.1 ms: 15 objects, 2 written, 0 errors, 1 warning`, and with many
    /// servers how many were kept from the last build: `(999 of 1000 servers kept)`.
    private func finish(_ start: Double, status: ExitStatus, objects: Int, written: Int, diagnostics: [Diagnostic],
                        reuse: BuildMemo.Reuse? = nil) -> ExitStatus {
        let ms = (Watcher.monotonic() - start) * 1000
        let duration = "\(Int(ms))." + "\(Int(ms * 10) % 10)"
        let counts = Console.counts(diagnostics).split(separator: ",").map { $0.trimmingCharacters() }
        let kept = reuse.map { $0.servers > 1 && $0.objects > 0 ? " (\($0.objects) of \($0.servers) servers kept)" : "" } ?? ""
        let line = status == .success
            ? "built in \(duration) ms: \(objects) objects, \(written) written, \(counts.joined(separator: ", "))\(kept)"
            : "failed in \(duration) ms: \(counts.joined(separator: ", ")); previous output kept"
        Console.err("[\(Watcher.clock())] \(line)\n")
        return status
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func clock() -> String {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        return parts.timeText
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

/// The write end of the self-pipe; set once, before the handler is installed.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Async-signal-safe: one write(2) to the pipe the watch loop polls.
private func onSignal(_: Int32) {
    var byte: UInt8 = 1
    _ = write(signalPipeWriteEnd, &byte, 1)
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(drop { $0 == " " }) }
}
