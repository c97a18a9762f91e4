import ExtcCerts
import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Guards around where a build writes: never a private key into a file others can read, never a
/// key into a core dump (and, in `WriteGuard` below, never over its own inputs, never a state
/// directory and an output directory in one another).
enum Safety {
    /// Before a private key goes to stdout: a regular file that others may read is made 0600
    /// (it is the user's own redirect); false when that is not possible, and for a named FIFO
    /// that others may open (another user's reader may hold it). A pipe (`|`, whose reader the
    /// shell set up) is left alone, and so is a terminal (which never gets the Secret).
    static func protectStdout() -> Bool {
        var st = stat()
        guard fstat(1, &st) == 0 else { return true }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return st.st_mode & 0o077 == 0 || fchmod(1, 0o600) == 0
        case S_IFIFO: return isPipe(st) || FileIO.isPrivateFIFO(st)
        default: return true
        }
    }

    /// An anonymous pipe, not a FIFO with a name others may open: it lives where a pipe made
    /// now lives (the kernel's pipe file system), not on a file system with names.
    private static func isPipe(_ st: stat) -> Bool {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        defer { close(fds[0]); close(fds[1]) }
        var probe = stat()
        return fstat(fds[0], &probe) == 0 && probe.st_dev == st.st_dev
    }

    /// SIGINT, SIGTERM and SIGHUP during a build remove the temporary files being written, then
    /// end the process as the signal would. (watch handles its signals itself.)
    /// They are unblocked too: a process started with them blocked (as some runners start
    /// children) would otherwise hold them pending until it exits, and never clean up.
    static func cleanUpOnSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, onFatalSignal)
            sigaddset(&set, sig)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// No core file may hold the keys this process makes or reads.
    static func disableCoreDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
    }
}

/// Async-signal-safe enough: unlink(2) under a trylock, then the default action.
private func onFatalSignal(_ sig: Int32) {
    Temporaries.shared.removeAllFromSignal()
    signal(sig, SIG_DFL)
    raise(sig)
}

/// Where a build must not write: over one of its input specs, or into a state directory's tree
/// (or the state into the output's). Worked out from paths, once: a watch keeps it while its spec
/// files are the same ones, and then only asks, per build, which of the state roots that would
/// overlap the output its servers write (none, almost always: nothing to look at).
/// Paths are compared canonical, so relative and absolute spellings, `..`, symlinks and
/// directories not made yet are caught alike.
struct WriteGuard {
    /// Why nothing may be written, whatever the specs say.
    private let overwrite: String?
    /// State roots (as `StateDirectory` names them) in or around the output directory.
    private let overlapping: Set<String>
    private let out: String
    private let state: StateDirectory

    init(target: OutputTarget, inputs: [String], state: StateDirectory) {
        self.state = state
        guard let path = target.path else { (out, overwrite, overlapping) = ("", nil, []); return }
        out = path
        let resolved = FileIO.canonical(path)
        overwrite = inputs.first { FileIO.canonical($0) == resolved }.map { "-o \(path) is the spec \($0); extc never writes over its input" }
        guard case .directory = target else { overlapping = []; return }
        let roots = Set(inputs.map(state.root(forSpec:)) + (state.override.map { [$0] } ?? []))
        overlapping = roots.filter { root in
            let s = FileIO.canonical(root)
            return s == resolved || s.hasPrefix(resolved + "/") || resolved.hasPrefix(s + "/")
        }
    }

    /// Why a build of `program` must not write, if it must not (nil `program`: the specs did not
    /// check, and only `--state` is known to be written).
    func refusal(_ program: Program?) -> String? {
        if let overwrite { return overwrite }
        guard !overlapping.isEmpty else { return nil }
        let written = program.map { $0.servers.filter(StateDirectory.keepsState).map(state.root(for:)) }
            ?? state.override.map { [$0] } ?? []
        guard let root = written.first(where: overlapping.contains) else { return nil }
        return "the state directory \(root) and the output directory \(out) overlap: keys would land beside committed files; keep them apart (pass --state DIR outside the output)"
    }
}
