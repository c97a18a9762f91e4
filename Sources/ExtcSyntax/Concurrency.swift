import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Results of work spread over every core (DispatchQueue.concurrentPerform): one slot per
/// iteration, each written once by its own iteration, read after all of them finished.
public final class ConcurrentSlots<T: Sendable>: Sendable {
    private let values: Mutex<[T?]>
    public init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }
    public func set(_ i: Int, _ value: T) { values.withLock { $0[i] = value } }
    public subscript(i: Int) -> T { values.withLock { $0[i]! } }
}

public enum Concurrency {
    /// Online CPUs (at least 1).
    public static let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
