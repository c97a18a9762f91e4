import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import ExtcCheck
import ExtcSyntax

// Making many servers' material at once. Key generation (RSA's prime search above all) and the
// state files' fsyncs are independent per server, and per server between its serving chain and
// its etcd chain, so they run on every core. The result does not depend on the order they run in:
// each part writes only its own files, and the outcomes are merged in the servers' order, serving
// part first, exactly as one thread would produce them.
extension CertBackend {
    /// `EXTC_JOBS=1` makes the parts one after another (to compare, or to profile); otherwise
    /// they run on every core.
    static let sequential: Bool = getenv("EXTC_JOBS").map { String(cString: $0) == "1" } ?? false

    /// Parts in flight at once: more than the cores, because most of a fresh build's time is
    /// fsync waiting for the journal, and fsyncs in flight together commit together.
    static let width = max(16, Concurrency.cores * 4)

    /// `body(0..<count)`, one after another with `EXTC_JOBS=1`, else `width` at a time.
    private func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        Concurrency.perform(count, width: Self.sequential ? 1 : Self.width, body)
    }

    /// Each server's material, in the order given.
    public func materials(for servers: [APIServer], rotate: Rotation = .none) -> [CertOutcome] {
        var outcomes = [CertOutcome](repeating: CertOutcome(), count: servers.count)
        var ready: [Int] = []
        // One lock per state root, taken in sorted order (two builds never wait on each other in
        // a cycle) and held until every part is done.
        var locks: [StateLock] = []
        var lockFailures: [String: Error] = [:]
        if !dryRun && !publicOnly {
            for root in state.roots(for: servers) {
                do {
                    try state.prepareRoot(root)
                    locks.append(try StateLock(root))
                } catch { lockFailures[root] = error }
            }
        }
        defer { withExtendedLifetime(locks) {} }
        // Each server's directory made, claimed and audited (a mkdir and a record each: waits,
        // so spread like the parts below).
        let failures = lockFailures
        // Each slot: the outcome so far, and whether the server goes on to its parts.
        let opened = ConcurrentSlots<(CertOutcome, Bool)>(count: servers.count)
        run(servers.count) { i in
            let server = servers[i]
            var out = CertOutcome()
            if server.certs.ca.value == .certManager { out.material = .certManager; opened.set(i, (out, false)); return }
            if publicOnly { opened.set(i, (publicMaterial(for: server), false)); return }
            do {
                if StateDirectory.keepsState(server) {
                    if let failure = failures[state.root(for: server)] { throw failure }
                    if !dryRun { try FileIO.makeDirectory(state.directory(for: server), mode: 0o700, force: true) }
                    try state.claim(for: server, write: !dryRun)
                    out.diagnostics += audit(server)
                }
                opened.set(i, (out, true))
            } catch {
                out.diagnostics.append(diagnostic(for: error, server))
                opened.set(i, (out, false))
            }
        }
        for i in servers.indices {
            let (out, goesOn) = opened[i]
            outcomes[i] = out
            if goesOn { ready.append(i) }
        }
        // Two parts per ready server: serving, then etcd.
        let parts = ConcurrentSlots<Result<CertOutcome, Error>>(count: ready.count * 2)
        let work = ready
        run(work.count * 2) { k in
            let server = servers[work[k / 2]]
            parts.set(k, Result { k % 2 == 0 ? try servingPart(server, rotate: rotate) : try etcdPart(server, rotate: rotate) })
        }
        for (n, i) in ready.enumerated() {
            for part in [parts[2 * n], parts[2 * n + 1]] {
                switch part {
                case .success(let o):
                    outcomes[i].notes += o.notes
                    outcomes[i].diagnostics += o.diagnostics
                    if let m = o.material { outcomes[i].material = m }
                    if let e = o.etcd { outcomes[i].etcd = e }
                case .failure(let error):
                    outcomes[i].diagnostics.append(diagnostic(for: error, servers[i]))
                }
            }
            finish(&outcomes[i], servers[i])
        }
        // What was learned about the certificates, for the next build (not by a dry run).
        if !dryRun { StateCache.saveAll() }
        return outcomes
    }
}
