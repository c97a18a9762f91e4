#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawnp, its stdio redirected to files (never a pipe, which
/// a chatty child could fill and block on). posix_spawn, not Foundation's Process: its own cost
/// is the same for every command timed, and small.
struct Child {
    let pid: pid_t
    let command: String

    /// Starts `argv[0]` (looked up on PATH) with stdin from /dev/null and stdout/stderr appended to
    /// `log` (or /dev/null).
    static func spawn(_ argv: [String], log: String = "/dev/null") throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return Child(pid: pid, command: argv.joined(separator: " "))
    }

    /// Waits for the child; returns its exit status (128+N for a signal, as shells report it).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Sends SIGTERM and reaps the child.
    func terminate() -> Int32 {
        kill(pid, SIGTERM)
        return wait()
    }
}

/// Runs a command to completion; a non-zero exit is an error (a benchmark of a failing command
/// measures nothing).
func runCommand(_ argv: [String], log: String = "/dev/null") throws {
    let status = try Child.spawn(argv, log: log).wait()
    guard status == 0 else {
        throw BenchError("`\(argv.joined(separator: " "))` exited \(status)" + (log == "/dev/null" ? "" : "; see \(log)"))
    }
}

/// Runs a command to completion, as `runCommand`: its wall time and system CPU time in seconds,
/// and its peak RSS in KB (the kernel's account, from wait4).
func runMeasured(_ argv: [String]) throws -> (seconds: Double, system: Double, peakKB: Int) {
    let start = now()
    let child = try Child.spawn(argv)
    var status: Int32 = 0, usage = rusage()
    while wait4(child.pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Double(now() - start) / 1e9
    guard status == 0 else { throw BenchError("`\(child.command)` failed (\(status))") }
    return (seconds, Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6, usage.ru_maxrss)
}
