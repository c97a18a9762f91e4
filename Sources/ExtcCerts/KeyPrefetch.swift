import Dispatch
import ExtcCheck
import ExtcSyntax
import Synchronization

/// Keys made ahead, while the CA that will sign them is being made. A chain is sequential (the
/// leaf needs its CA), but a leaf's key does not: when a part is about to issue a new CA, its
/// leaves are re-issued too, so their keys start at once on other threads and the leaf takes its
/// key when it gets there. For RSA that halves a fresh chain. Keyed by the key file's path; a key
/// nobody takes is dropped when its part ends.
final class KeyPrefetch: Sendable {
    static let shared = KeyPrefetch()

    private final class Pending: Sendable {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<PrivateKey, Error>?>(nil)
    }

    private let pending = Mutex<[String: Pending]>([:])

    /// Starts making a key for `path`.
    func start(_ path: String, _ algorithm: KeyAlgorithm) {
        let p = Pending()
        pending.withLock { $0[path] = p }
        DispatchQueue.global().async {
            let key = Result { try Issuer.generateKey(algorithm) }
            p.result.withLock { $0 = key }
            p.done.signal()
        }
    }

    /// The key started for `path`, waited for; nil when none was started.
    func take(_ path: String) throws -> PrivateKey? {
        guard let p = pending.withLock({ $0.removeValue(forKey: path) }) else { return nil }
        p.done.wait()
        return try p.result.withLock { $0! }.get()
    }

    /// Drops the keys started for `paths` that were not taken (a part that failed or reused).
    func drop(_ paths: [String]) {
        let left = pending.withLock { all in paths.compactMap { all.removeValue(forKey: $0) } }
        for p in left { p.done.wait() }  // never leave a keygen running past its part
    }
}
