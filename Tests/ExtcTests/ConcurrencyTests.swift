import ExtcSyntax
import Foundation
import Synchronization
import Testing

/// The thread helpers every parallel stage runs on.
struct ConcurrencyTests {
    /// Every index runs exactly once, whatever the count and width.
    @Test("perform runs every index once", arguments: [(0, 4), (1, 4), (2, 1), (2, 16), (7, 3), (100, 16)])
    func everyIndexOnce(count: Int, width: Int) {
        let counter = Mutex([Int](repeating: 0, count: count))
        Concurrency.perform(count, width: width) { i in counter.withLock { $0[i] += 1 } }
        #expect(counter.withLock { $0 } == [Int](repeating: 1, count: count))
    }

    /// One index, or a width of one, stays on the calling thread: no worker's wake-up to wait for.
    @Test("a single index or a width of one runs on the calling thread")
    func inline() {
        let caller = pthread_self()
        for (count, width) in [(1, 16), (3, 1)] {
            let elsewhere = Mutex(false)
            Concurrency.perform(count, width: width) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.withLock { $0 = true } }
            }
            #expect(!elsewhere.withLock { $0 }, "\(count) indices at width \(width) left the calling thread")
        }
    }

    @Test("detach runs its body on another thread")
    func detach() {
        let done = DispatchSemaphore(value: 0), caller = pthread_self()
        let other = Mutex(false)
        Concurrency.detach {
            other.withLock { $0 = pthread_equal(pthread_self(), caller) == 0 }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(other.withLock { $0 })
    }
}
