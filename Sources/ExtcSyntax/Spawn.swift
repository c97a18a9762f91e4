#if canImport(Glibc)
import Glibc
#endif

/// Starting another program: the signals extc ignores for itself (SIGPIPE: a closed pipe is a
/// write error it reports) are set back to their default actions in the child, as the program
/// expects them.
public enum Spawn {
    /// The signals a child gets back at their default action.
    public static let restored: [Int32] = [SIGPIPE]

    /// Calls `body` with spawn attributes that restore `restored` in the child.
    public static func withAttributes<T>(_ body: (UnsafePointer<posix_spawnattr_t>) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in restored { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        return try body(&attributes)
    }
}
