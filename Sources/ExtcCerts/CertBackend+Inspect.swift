import Dispatch
import ExtcCheck
import ExtcSyntax

/// A certificate found in the state directory, for `extc certs` and `extc check`.
public struct StoredCertificate: Sendable {
    public let role: String
    public let path: String
    public let info: CertificateInfo
}

extension CertBackend {
    /// The server's stored certificates (the serving CA, the serving certificate, then the etcd CA
    /// and etcd's certificates), read-only; unreadable files are skipped.
    public func inspect(_ server: APIServer) -> [StoredCertificate] {
        let dir = state.directory(for: server)
        var paths: [(String, String)] = []
        switch server.certs.ca.value {
        case .generated: paths.append(("CA", "\(dir)/\(CAKind.serving.stem).crt"))
        case .files(let cert, _): paths.append(("CA", FileIO.resolve(cert, relativeTo: FileIO.directory(of: server.span.file.path))))
        case .certManager: return []
        case .external, .serviceCA: break
        }
        if server.certs.ca.value.isLocal { paths.append(("serving", "\(dir)/\(LeafRequest.serving(server).stem).crt")) }
        if let t = server.etcd {
            paths.append((CAKind.etcd.label, "\(dir)/\(CAKind.etcd.stem).crt"))
            paths += LeafRequest.etcd(t).map { ($0.role, "\(dir)/\($0.stem).crt") }
        }
        return paths.compactMap { role, path in
            guard let bytes = try? FileIO.read(path),
                  let (info, _) = try? StoredPair.info(of: String(decoding: bytes, as: UTF8.self), cache: StateCache.of(FileIO.directory(of: path)))
            else { return nil }
            return StoredCertificate(role: role, path: path, info: info)
        }
    }

    /// W0005 for each stored certificate within its renewal window; W0009 for one not valid yet.
    public func expiryWarnings(_ server: APIServer) -> [Diagnostic] {
        inspect(server).compactMap { c in
            if c.info.notBefore > env.now() {
                return Diagnostic(.certificateFromTheFuture, "the \(c.role) certificate of `\(server.name.value)` is not valid until \(Self.utc(c.info.notBefore))",
                                  at: server.span, note: "stored in \(c.path)", help: "check this machine's clock; `extc build` issues one valid now")
            }
            if case .files = server.certs.ca.value, c.role == "CA" { return nil }  // your CA: E0305 says what to do
            let left = c.info.notAfter - env.now()
            guard left <= server.certs.renewBefore.value else { return nil }
            let when = left <= 0 ? "has expired" : "expires in \(max(1, left / 86_400)) day\(left / 86_400 == 1 ? "" : "s")"
            return Diagnostic(.certificateExpiring, "the \(c.role) certificate of `\(server.name.value)` \(when)", at: server.span,
                              note: "stored in \(c.path)", help: "`extc build` renews it (renew-before \(Names.formatDuration(server.certs.renewBefore.value)))")
        }
    }
}

extension CertBackend {
    /// `preflight` and `expiryWarnings` for every server, on every core, in the servers' order;
    /// with `publicOnly`, what the public material needs instead of the preflight (no key read).
    public func gate(_ servers: [APIServer]) -> [Diagnostic] {
        let found = ConcurrentSlots<[Diagnostic]>(count: servers.count)
        DispatchQueue.concurrentPerform(iterations: servers.count) { i in
            let first = publicOnly ? publicMaterial(for: servers[i]).diagnostics : preflight(servers[i])
            found.set(i, first + expiryWarnings(servers[i]))
        }
        return servers.indices.flatMap { found[$0] }
    }

    /// Why the stored CA of `kind` in `dir` stops a build, as the build judges it (`generatedCA`):
    /// a certificate without its key, or a pair that cannot be read. A key alone is an
    /// interrupted issue, which the build mends (a new CA, the key kept aside): no problem.
    static func storedCAProblem(_ kind: CAKind, in dir: String) -> String? {
        let cert = "\(dir)/\(kind.stem).crt", key = "\(dir)/\(kind.stem).key"
        guard FileIO.exists(cert) else { return nil }
        guard FileIO.exists(key) else { return "\(kind.stem).crt is there but its key is not" }
        do { return try StoredPair.load(certPath: cert, keyPath: key) == nil ? "a file went while it was read" : nil } catch { return "\(error)" }
    }

    /// Everything a build's certificate pass would report, without issuing or writing anything:
    /// a `ca files` CA that is missing, not a CA, mismatched, encrypted or expiring (E0301-E0305),
    /// stored state another spec owns (E0309), a stored CA that cannot be read (E0308), and the
    /// state's hygiene (W0008, W0009). `extc check` runs it, so check is the whole gate.
    public func preflight(_ server: APIServer) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if case .files(let cert, let key) = server.certs.ca.value { _ = fileCA(server, cert, key, &out) }
        if StateDirectory.keepsState(server), let blocker = state.blocker(for: server) {
            // What the build's mkdir would meet (E0306 there too).
            out.append(Diagnostic(.stateUnusable, "certificate state for `\(server.name.value)`: \(blocker)", at: server.span,
                                  note: "for this apiserver", help: "check the state directory's permissions, or pass --state DIR"))
            return out
        }
        guard server.certs.ca.value.isLocal || server.storage != nil, FileIO.isDirectory(state.directory(for: server)) else { return out }
        do { try state.claim(for: server, write: false) } catch let e as StateDirectory.Claimed {
            out.append(Diagnostic(.stateOwnedByOtherSpec, "\(e)", at: server.name.span, note: "this apiserver's state",
                                  help: "rename one of the two apiservers, or build one with its own `--state DIR`"))
            return out
        } catch {}
        let dir = state.directory(for: server)
        for kind in CAKind.allCases where kind == .etcd ? server.storage != nil : server.certs.ca.value == .generated {
            if let reason = Self.storedCAProblem(kind, in: dir) {
                out.append(Diagnostic(.stateCAUnusable, "the stored \(kind.label) in \(dir) cannot be used: \(reason)", at: server.span, note: "for this apiserver",
                                      help: "restore the key (or its permissions); in a clone without keys, check with --no-secrets; to replace the CA instead, run `extc certs --rotate all`"))
            }
        }
        return out + audit(server).map { d in
            // check writes nothing: the key is reported, not fixed.
            d.code == .keyReadableByOthers ? Diagnostic(d.code, d.message, at: d.span, note: d.note, help: "set it to 0600; rotate it if others may have read it") : d
        }
    }
}
