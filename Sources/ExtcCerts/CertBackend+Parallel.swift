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
        // One lock per state root, held until every part is done.
        let (locks, lockFailures) = lockRoots(servers)
        defer { withExtendedLifetime(locks) {} }
        let opened = openServers(servers, lockFailures: lockFailures), ready = opened.1
        var outcomes = opened.0
        let parts = makeParts(of: ready.map { servers[$0] }, rotate: rotate)
        for (n, i) in ready.enumerated() {
            for part in [parts[2 * n], parts[2 * n + 1]] { merge(part, into: &outcomes[i], servers[i]) }
            finish(&outcomes[i], servers[i])
        }
        // What was learned about the certificates, for the next build (not by a dry run).
        if !dryRun { StateCache.saveAll() }
        return outcomes
    }

    /// Each state root prepared and locked, in sorted order (two builds never wait on each other
    /// in a cycle); a root that cannot be, with its error. Nothing when nothing is written.
    private func lockRoots(_ servers: [APIServer]) -> ([StateLock], [String: Error]) {
        var locks: [StateLock] = [], failures: [String: Error] = [:]
        guard !dryRun && !publicOnly else { return (locks, failures) }
        for root in state.roots(for: servers) {
            do {
                try state.prepareRoot(root)
                locks.append(try StateLock(root))
            } catch { failures[root] = error }
        }
        return (locks, failures)
    }

    /// Each server's directory made, claimed and audited (a mkdir and a record each: waits, so
    /// spread like the parts): every server's outcome so far, and the servers that go on to
    /// their parts, in order.
    private func openServers(_ servers: [APIServer], lockFailures failures: [String: Error]) -> ([CertOutcome], [Int]) {
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
        let slots = servers.indices.map { opened[$0] }
        return (slots.map(\.0), servers.indices.filter { slots[$0].1 })
    }

    /// Two parts per server, serving then etcd: `2 * n` and `2 * n + 1` are server `n`'s.
    private func makeParts(of servers: [APIServer], rotate: Rotation) -> [Result<CertOutcome, Error>] {
        let parts = ConcurrentSlots<Result<CertOutcome, Error>>(count: servers.count * 2)
        run(servers.count * 2) { k in
            let server = servers[k / 2]
            parts.set(k, Result { k % 2 == 0 ? try servingPart(server, rotate: rotate) : try etcdPart(server, rotate: rotate) })
        }
        return (0..<servers.count * 2).map { parts[$0] }
    }

    /// One part's result added to its server's outcome.
    private func merge(_ part: Result<CertOutcome, Error>, into outcome: inout CertOutcome, _ server: APIServer) {
        switch part {
        case .success(let o):
            outcome.notes += o.notes
            outcome.diagnostics += o.diagnostics
            if let m = o.material { outcome.material = m }
            if let e = o.etcd { outcome.etcd = e }
        case .failure(let error):
            outcome.diagnostics.append(diagnostic(for: error, server))
        }
    }
}
