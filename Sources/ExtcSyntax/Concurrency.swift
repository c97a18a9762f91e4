import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Results of work spread over every core (DispatchQueue.concurrentPerform, Concurrency.perform):
/// one slot per iteration, each written once by its own iteration, read after all of them
/// finished. No lock: distinct slots never share a write, and the join that ends the parallel
/// work (the group's wait, concurrentPerform's return) orders every write before every read.
/// With one lock around them, 16 workers queued on it (a tenth of a 10,000-server warm build).
public final class ConcurrentSlots<T: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>

    public init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    public func set(_ i: Int, _ value: T) { slots[i] = value }
    public subscript(i: Int) -> T { slots[i]! }
}

public enum Concurrency {
    /// Online CPUs (at least 1).
    public static let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

extension Concurrency {
    /// Runs `body(0..<count)` on `width` threads at most (serial queues, each with a thread of its
    /// own, taking indices in turn from a shared counter) and returns when all have finished. For
    /// work that waits (fsync) as much as it computes: `DispatchQueue.concurrentPerform` keeps to
    /// one thread per core.
    /// One index (or a width of one) runs on the calling thread: handing it to a worker only adds
    /// the worker's wake-up, up to a millisecond on a virtual machine's idle core.
    public static func perform(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if count <= 1 || width <= 1 { for i in 0..<count { body(i) }; return }
        let next = Mutex(0), group = DispatchGroup()
        for w in 0..<max(1, min(width, count)) {
            DispatchQueue(label: "extc.worker.\(w)").async(group: group) {
                while true {
                    let i = next.withLock { n -> Int in defer { n += 1 }; return n }
                    guard i < count else { return }
                    body(i)
                }
            }
        }
        group.wait()
    }

    /// Runs `body` on a new detached thread of its own (not Dispatch's pool, whose threads may all
    /// be busy or blocked); on the calling thread if no thread can be made.
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        if started == 0 { pthread_detach(thread) } else { Unmanaged<Body>.fromOpaque(box).takeRetainedValue().run() }
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
