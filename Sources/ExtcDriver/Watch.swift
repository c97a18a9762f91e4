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
/// an edit that does not touch cert-relevant fields re-uses them byte for byte; SIGINT, SIGTERM and
/// SIGHUP are taken between builds (a handler only writes to a pipe the loop polls), so no temporary file is ever left behind.
public final class Watcher {
    let request: WatchRequest
    let console: Console
    let frontEnd = FrontEnd()
    /// Each server's results from the last build, reused while its inputs stay the same.
    lazy var memo = BuildMemo(frontEnd: frontEnd)
    var inotify: Int32 = -1
    var signals: Int32 = -1
    /// The first sync has happened: later ones that add a watch found a directory again.
    var started = false
    /// Watch descriptor -> (directory, names that matter in it; globs allowed).
    var watches: [Int32: (directory: String, names: [String])] = [:]
    var extraFiles: [String] = []
    /// Watch descriptor -> a server's state directory: a change there is not an edit (it starts
    /// no build) but tells the memo to check that server's certificates again.
    var stateWatches: [Int32: String] = [:]
    /// Each watched state directory, with the directory (device, inode) the watch is on: a path
    /// that now names another directory (a symlink or a directory moved into place) is watched
    /// again, and what was learned under the old one is not trusted.
    var watchedStates: [String: FileIdentity] = [:]
    /// The output directory as this watch last wrote it; nil: the next build writes it in full.
    var mirror: LayoutMirror?
    /// The stream (`-o FILE`) as this watch last wrote it, with the file it replaced.
    var stream: RecycledFile?
    /// Whether a stream holding keys was checked against git (`Git.exposure`): once a watch.
    var exposureChecked = false
    /// Watch descriptor -> the output directory's subdirectory it is on ("" for the directory).
    var outputWatches: [Int32: String] = [:]
    /// What changed among the specs since the last build began, from the events.
    var specChanges = SpecChanges()
    /// The spec paths the last full look found, and their file names.
    var specPaths: [String] = []
    var specNames: Set<String> = []
    /// The directories `syncWatches` last wanted, with the extra files it was asked for.
    var wanted: (extra: [String], directories: [(directory: String, names: [String])])?
    /// Each state directory's parent, as it was when the state directories were last looked at;
    /// emptied by any event in one of them.
    var stateParents: [String: FileIdentity] = [:]
    /// The servers, in program order, whose state directories were all watched after the last
    /// build (empty when one was not, or a state directory's watch has ended since).
    var watchedServers: [APIServer] = []
    /// Watch descriptor -> a state directory's parent.
    var stateParentWatches: [Int32: String] = [:]
    /// A spec changed while a build was running (seen when it looked for state changes): the
    /// loop builds again at once.
    var changedDuringBuild = false
    /// A build refused to write where the command line says (`WriteGuard`): the watch ends.
    var refused = false
    /// The guard for the spec files it was made for (made again when they change).
    var writeGuard: (paths: [String], rules: WriteGuard)?
    /// The output and state directories (canonical): their own comings and goings are not edits.
    lazy var ownDirectories: Set<String> = {
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
        defer { stream?.discard() }
        if request.once { return rebuild() }
        guard setUp() else { return .ioError }
        defer { close(inotify); close(signals) }
        // Watch before the first build, so a save made while it runs is not missed; sync again
        // after it, for the CA files that build found.
        syncWatches()
        _ = rebuild()
        syncWatches()
        while !refused {
            guard let event = waitForChange() else { return .success }
            if event == .overflow { forgetKept() }
            _ = rebuild()
            // A directory that came back (deleted and re-created, or replaced by a rename) is
            // watched again; files that landed in it before the watch was in place need a build.
            while !refused, syncWatches() || changedDuringBuild { _ = rebuild() }
        }
        return .usage
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

    // MARK: Events

    /// What every watch (spec, CA file or state directory) reports: any change to a file in the
    /// directory, entries coming and going, and the directory itself going.
    static let events = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)

    /// Events were lost (the queue overflowed): nothing kept from earlier builds is trusted.
    func forgetKept() {
        specChanges.structural = true
        stateParents = [:]
        watchedServers = []
        frontEnd.reset()
        memo.reset()
        dropMirror()
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
    func drainEvents() -> Change? {
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
                guard let w = watches[wd] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 { watches[wd] = nil; specChanges.structural = true; continue }
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
        // As `build` refuses (the output over a spec, or beside the keys); checked on every build,
        // since a glob may come to name the output itself. It ends the watch: the command is wrong.
        if writeGuard?.paths != specPaths {
            writeGuard = (specPaths, WriteGuard(target: request.build.target, inputs: result.files.map(\.file.path), state: request.build.state))
        }
        if let refusal = writeGuard?.rules.refusal(result.program) {
            console.error(refusal)
            refused = true
            return .usage
        }
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
        return build(program, diagnostics: result.diagnostics, structural: changes.structural, start: start)
    }

    /// The build of a checked program, and its output written; `diagnostics` are the compile's.
    private func build(_ program: Program, diagnostics: [Diagnostic], structural: Bool, start: Double) -> ExitStatus {
        let backend = CertBackend(state: request.build.state, env: request.build.env)
        do {
            // State directories that exist are watched before the build reads them; those it
            // makes, after (and are then checked again by the next build).
            watchStates(program, madeNow: false, quiet: !structural && stateParentsStand())
            defer { watchStates(program, madeNow: true) }
            noteStateEvents()
            let output = try Builder.build(program, options: request.build.options, certs: backend, memo: request.once ? nil : memo)
            output.notes.forEach(console.note)
            console.report(output.diagnostics)
            let all = diagnostics + output.diagnostics
            if output.failed { return finish(start, status: output.internalFailure ? .internalError : .specErrors, objects: 0, written: 0, diagnostics: all) }
            let written = try writeOutput(output)
            return finish(start, status: .success, objects: output.objects.count, written: written, diagnostics: all,
                          reuse: request.once ? nil : memo.lastReuse)
        } catch {
            console.error("\(error)")
            return finish(start, status: .ioError, objects: 0, written: 0, diagnostics: diagnostics)
        }
    }

    /// Files a build reads besides the specs: CA files and the files of generated ConfigMaps.
    private func caFiles(_ program: Program) -> [String] {
        var files: [String] = []
        for s in program.readers {
            guard case .files(let cert, let key) = s.certs.ca.value else { continue }
            let dir = FileIO.directory(of: s.span.file.path)
            files += [FileIO.resolve(cert, relativeTo: dir), FileIO.resolve(key, relativeTo: dir)]
        }
        return files + ConfigFileReader.paths(program)
    }

    /// `[12:00:01] built in 3.1 ms: 15 objects, 2 written, 0 errors, 1 warning`, and with many
    /// servers how many were kept from the last build: `(999 of 1000 servers kept)`.
    private func finish(_ start: Double, status: ExitStatus, objects: Int, written: Int, diagnostics: [Diagnostic],
                        reuse: BuildMemo.Reuse? = nil) -> ExitStatus {
        let ms = (Watcher.monotonic() - start) * 1000
        let duration = "\(Int(ms))." + "\(Int(ms * 10) % 10)"
        let counts = Console.counts(diagnostics).split(separator: ",").map { $0.trimmingCharacters() }
        let kept = reuse.map { $0.servers > 1 && $0.objects > 0 ? " (\($0.objects) of \($0.servers) servers kept)" : "" } ?? ""
        let why = status == .ioError ? "a file could not be read or written" : counts.joined(separator: ", ")
        let after = request.build.target.path.map(FileIO.exists) == true ? "previous output kept" : "nothing written"
        let line = status == .success
            ? "built in \(duration) ms: \(objects) objects, \(written) written, \(counts.joined(separator: ", "))\(kept)"
            : "failed in \(duration) ms: \(why); \(after)"
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
