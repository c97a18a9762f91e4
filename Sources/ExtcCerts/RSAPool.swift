import Dispatch
import ExtcCheck
import ExtcSyntax
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// RSA keys made by every core together. An RSA key is a prime search whose length varies several
/// times over from one key to the next, and any two keys of one size are interchangeable, so keys
/// are not made one per request: `cores` searches run while anyone waits, and each finished key
/// goes to whoever has waited longest. When a core is free and a request is still open, it
/// starts another search for it, and the first to finish serves it; a search nobody needs any
/// more stops at OpenSSL's next progress callback. A fresh chain of two keys then costs about one
/// key's expected time, where two searches side by side cost the slower of the two.
///
/// Invariant: every key handed out came from its own search (OpenSSL draws fresh random
/// candidates for each prime, so which search finishes first says nothing about the key).
final class RSAPool: Sendable {
    static let shared = RSAPool()

    /// One caller waiting for a key.
    private final class Request: Sendable {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<PrivateKey, Error>?>(nil)
    }

    private struct State {
        /// Open requests per algorithm, oldest first.
        var waiting: [KeyAlgorithm: [Request]] = [:]
        var searches = 0
    }

    private let state = Mutex(State())
    private let width = max(2, Concurrency.cores)

    /// A new key of `algorithm`, from the first search to finish for it.
    func take(_ algorithm: KeyAlgorithm) throws -> PrivateKey {
        let request = Request()
        let start = state.withLock { s -> Int in
            s.waiting[algorithm, default: []].append(request)
            return reserve(&s)
        }
        for _ in 0..<start { search(algorithm) }
        request.done.wait()
        return try request.result.withLock { $0! }.get()
    }

    /// How many new searches to start now (and counts them as running): as many as free cores,
    /// while any request is open.
    private func reserve(_ s: inout State) -> Int {
        let open = s.waiting.values.contains { !$0.isEmpty }
        let n = open ? max(0, width - s.searches) : 0
        s.searches += n
        return n
    }

    /// One search on a thread of its own (not Dispatch's pool, whose threads may all be callers
    /// blocked in `take`), for `preferred` if it still has open requests, else any that has.
    private func search(_ preferred: KeyAlgorithm) {
        Concurrency.detach { [self] in
            let algorithm = state.withLock { s in s.waiting[preferred]?.isEmpty == false ? preferred : s.waiting.first { !$0.value.isEmpty }?.key }
            // A stopped search (nil) served nobody: a request that came meanwhile gets a new one.
            let outcome = algorithm.flatMap { a in
                switch Result(catching: { try Issuer.searchKey(a, stillWanted: { self.isWanted(a) }) }) {
                case .success(let key?): return Result<PrivateKey, Error>.success(key)
                case .success(nil): return nil
                case .failure(let e): return .failure(e)
                }
            }
            let more = state.withLock { s -> Int in
                s.searches -= 1
                if let a = algorithm, let outcome, !(s.waiting[a] ?? []).isEmpty {
                    let request = s.waiting[a]!.removeFirst()
                    request.result.withLock { $0 = outcome }
                    request.done.signal()
                }
                return reserve(&s)
            }
            for _ in 0..<more { search(algorithm ?? preferred) }
        }
    }

    /// Whether a search for `algorithm` still serves anyone; false stops it.
    private func isWanted(_ algorithm: KeyAlgorithm) -> Bool {
        state.withLock { !($0.waiting[algorithm] ?? []).isEmpty }
    }
}
