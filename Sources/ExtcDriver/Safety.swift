import ExtcCerts
import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Guards around where a build writes: never over its own inputs, never a state directory and an
/// output directory in one another, never a private key into a file others can read, never a key
/// into a core dump.
enum Safety {
    /// Why the build must not write to `target`, if it must not. `stateRoots`: every state
    /// directory the build writes (`--state DIR`, or each `.extc/` beside a spec whose servers
    /// keep state). Paths are compared canonical, so relative and absolute spellings, and
    /// directories not made yet, are caught alike.
    static func refusal(target: OutputTarget, inputs: [String], stateRoots: [String]) -> String? {
        let out: String
        switch target {
        case .stdout: return nil
        case .file(let f): out = f
        case .directory(let d): out = d
        }
        let resolved = FileIO.canonical(out)
        for input in inputs where FileIO.canonical(input) == resolved {
            return "-o \(out) is the spec \(input); extc never writes over its input"
        }
        guard case .directory = target else { return nil }
        for state in stateRoots {
            let s = FileIO.canonical(state)
            if s == resolved || s.hasPrefix(resolved + "/") || resolved.hasPrefix(s + "/") {
                return "the state directory \(state) and the output directory \(out) overlap: keys would land beside committed files; keep them apart (pass --state DIR outside the output)"
            }
        }
        return nil
    }

    /// `refusal` for a build of `program` (nil when the specs did not check: only the inputs and
    /// `--state` are known then).
    static func refusal(target: OutputTarget, files: [String], program: Program?, state: StateDirectory) -> String? {
        let roots = program.map { state.roots(for: $0.servers) } ?? state.override.map { [$0] } ?? []
        return refusal(target: target, inputs: files, stateRoots: roots)
    }

    /// Before a private key goes to stdout: a regular file that others may read is made 0600
    /// (it is the user's own redirect); false when that is not possible. Pipes and terminals are
    /// left alone (a terminal never gets the Secret).
    static func protectStdout() -> Bool {
        var st = stat()
        guard fstat(1, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return true }
        if st.st_mode & 0o077 == 0 { return true }
        return fchmod(1, 0o600) == 0
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
