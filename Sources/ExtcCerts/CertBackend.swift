import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// A certificate and its key, as PEM text (the key is PKCS#8).
public struct PEMPair: Sendable, Equatable {
    public let certPEM: String
    public let keyPEM: String
}

/// The PEM text a build puts into the serving Secret and the APIService's caBundle.
public struct PEMBundle: Sendable, Equatable {
    /// The CA that signed `certPEM`.
    public let caPEM: String
    public let certPEM: String
    public let keyPEM: String
    /// What the APIServices trust: `caPEM`, and during a CA rotation the other CA as well.
    public let bundlePEM: String
}

/// The etcd CA's certificate and the three etcd leaves.
public struct EtcdBundle: Sendable, Equatable {
    public let caPEM: String
    public let server: PEMPair
    public let peer: PEMPair
    public let client: PEMPair
}

public enum ServingMaterial: Sendable, Equatable {
    case inline(PEMBundle)
    case certManager
    /// The serving CA and Secret belong to someone else (`ca external`, `ca service-ca`).
    case elsewhere
}

/// What `extc certs --rotate` replaces.
public enum Rotation: String, Sendable, CaseIterable {
    case none
    /// Every leaf (serving and etcd), under the CAs it has.
    case leaf
    /// Both CAs and every leaf.
    case all
}

/// One server's material, what was done to it (one line each), and any errors.
public struct CertOutcome: Sendable {
    public var material: ServingMaterial?
    /// nil without `storage`, and with `ca cert-manager` (which issues etcd's certificates in the cluster).
    public var etcd: EtcdBundle?
    public var notes: [String] = []
    public var diagnostics: [Diagnostic] = []
}

/// The backend pass: makes or reuses each server's CAs and leaf certificates.
///
/// Reuse rule: stored material is kept, byte for byte, while it fits the spec: the certificate's
/// names (CN, DNS and IP SANs), usage and key algorithm, signed by the configured CA, and not within
/// `renew-before` of expiry. Otherwise the leaf is re-issued (saying why); a CA is replaced only
/// when it is itself missing, broken or within its renewal window, so the caBundle stays put.
public struct CertBackend: Sendable {
    public let state: StateDirectory
    public let env: CertEnvironment
    /// Make what is missing in memory but write nothing (`build --check`).
    public let dryRun: Bool
    /// A CA rotation's grace period between phases (seconds), for one `--rotate all` starts.
    public let grace: Int
    /// Only the public half is wanted (`build --check --no-secrets`): the caBundle from the
    /// committed certificates, no key read and nothing issued, so a drift check needs no key.
    public let publicOnly: Bool

    public init(state: StateDirectory = StateDirectory(), env: CertEnvironment = .system, dryRun: Bool = false,
                grace: Int = RotationRecord.defaultGrace, publicOnly: Bool = false) {
        self.state = state
        self.env = env
        self.dryRun = dryRun || publicOnly
        self.grace = grace
        self.publicOnly = publicOnly
    }

    /// One server's material; `materials(for:)` makes several at once.
    public func material(for server: APIServer, rotate: Rotation = .none) -> CertOutcome {
        materials(for: [server], rotate: rotate)[0]
    }

    /// The serving half of one server's material (its CA, if extc's, and leaf), after the state is
    /// prepared, locked and claimed. Independent of `etcdPart`: the two run in parallel.
    func servingPart(_ server: APIServer, rotate: Rotation) throws -> CertOutcome {
        var out = CertOutcome()
        let staged = StagedFiles()
        let prefetched = server.certs.ca.value == .generated ? prefetchLeafKeys(server, ca: .serving, [LeafRequest.serving(server)], rotate: rotate) : []
        defer { KeyPrefetch.shared.drop(prefetched) }
        let signer: CA?
        var caBundle: String? = nil
        switch server.certs.ca.value {
        case .certManager:
            return out
        case .external, .serviceCA:
            signer = nil
            out.material = .elsewhere
        case .generated:
            let (ca, bundle) = try servingCA(server, rotate: rotate, grace: grace, staged: staged, notes: &out.notes)
            signer = ca
            caBundle = bundle
        case .files(let certPath, let keyPath):
            guard let ca = fileCA(server, certPath, keyPath, &out.diagnostics) else { return out }
            signer = ca
        }
        if let servingCA = signer {
            // `--rotate all` renews the leaf only when its CA is new (phase 2 of a rotation).
            let forced = rotate == .leaf || (rotate == .all && server.certs.ca.value != .generated) || servingCA.fresh
            let serving = try leaf(.serving(server), server, ca: servingCA, forced: forced, staged: staged, notes: &out.notes)
            out.material = .inline(PEMBundle(caPEM: servingCA.pair.certPEM, certPEM: serving.certPEM, keyPEM: serving.keyPEM,
                                             bundlePEM: caBundle ?? servingCA.pair.certPEM))
        }
        try staged.commit()
        return out
    }

    /// The etcd half: the etcd CA and its three leaves (nothing without `storage`).
    func etcdPart(_ server: APIServer, rotate: Rotation) throws -> CertOutcome {
        var out = CertOutcome()
        guard let topology = server.etcd else { return out }
        let prefetched = prefetchLeafKeys(server, ca: .etcd, LeafRequest.etcd(topology), rotate: rotate)
        defer { KeyPrefetch.shared.drop(prefetched) }
        let staged = StagedFiles()
        let ca = try generatedCA(.etcd, server, rotate: rotate, staged: staged, notes: &out.notes)
        let pairs = try LeafRequest.etcd(topology).map {
            try leaf($0, server, ca: ca, forced: rotate != .none || ca.fresh, staged: staged, notes: &out.notes)
        }
        try staged.commit()
        out.etcd = EtcdBundle(caPEM: ca.pair.certPEM, server: pairs[0], peer: pairs[1], client: pairs[2])
        return out
    }

    /// When the part will make a new CA (none stored, or `--rotate all` outside a rotation in
    /// progress), its leaves will be re-issued: their keys start now, beside the CA's. RSA keys
    /// only: an ECDSA key takes 30 µs, less than handing it to another thread.
    func prefetchLeafKeys(_ server: APIServer, ca kind: CAKind, _ requests: [LeafRequest], rotate: Rotation) -> [String] {
        guard server.certs.key.value.isRSA else { return [] }
        let dir = state.directory(for: server)
        let fresh = !FileIO.exists("\(dir)/\(kind.stem).crt") && !FileIO.exists("\(dir)/\(kind.stem).key")
        guard !Self.sequential, fresh || (rotate == .all && kind == .etcd) else { return [] }
        let paths = requests.map { "\(dir)/\($0.stem).key" }
        for path in paths { KeyPrefetch.shared.start(path, server.certs.key.value) }
        return paths
    }

    /// A failure while making one server's material, as its diagnostic.
    func diagnostic(for error: Error, _ server: APIServer) -> Diagnostic {
        switch error {
        case let e as StateDirectory.Claimed:
            return Diagnostic(.stateOwnedByOtherSpec, "\(e)", at: server.name.span, note: "this apiserver's state",
                              help: "rename one of the two apiservers, or build one with its own `--state DIR`")
        case let e as StateProblem:
            return Diagnostic(.stateCAUnusable, "\(e)", at: server.span, note: "for this apiserver",
                              help: "restore the key (or its permissions); to replace the CA instead, run `extc certs --rotate all`, which keeps the old files beside the new")
        case let e as IOError:
            return Diagnostic(.stateUnusable, "certificate state for `\(server.name.value)`: \(e)", at: server.span, note: "for this apiserver",
                              help: "check the state directory's permissions, or pass --state DIR")
        default:
            return Diagnostic(.openSSLFailure, "making certificates for `\(server.name.value)` failed: \(error)",
                              at: server.certs.key.span, note: "while making this key material",
                              help: "this is OpenSSL's reason; check the OpenSSL installation")
        }
    }

    /// The last word on one server's outcome: W0009 for reissues caused by a certificate from the
    /// future (the clock needs a look), and no material at all when anything failed.
    func finish(_ out: inout CertOutcome, _ server: APIServer) {
        for note in out.notes where note.contains(Self.clockSkew) {
            out.diagnostics.append(Diagnostic(.certificateFromTheFuture, note, at: server.span, note: "clock skew",
                                              help: "check this machine's clock; extc issued a certificate valid now"))
        }
        if out.diagnostics.contains(where: \.isError) { out.material = nil; out.etcd = nil }
    }

    /// The reuse rules' words for a certificate whose notBefore is ahead of the clock.
    static let clockSkew = "not valid yet (clock skew)"

    struct CA {
        let pair: StoredPair
        /// Issued by this build: every leaf must be re-issued under it.
        let fresh: Bool
    }

    /// The stored CA, or a new one. A CA key is never destroyed: a CA that is replaced (expiring,
    /// mismatched, rotated) is moved aside first, and one that cannot be read at all (permissions,
    /// encryption, truncation) stops the build with E0308 unless `--rotate all` asks for a new one.
    func generatedCA(_ kind: CAKind, _ server: APIServer, rotate: Rotation, staged: StagedFiles? = nil, notes: inout [String]) throws -> CA {
        let dir = state.directory(for: server)
        let certPath = "\(dir)/\(kind.stem).crt", keyPath = "\(dir)/\(kind.stem).key"
        let why: String
        if rotate == .all {
            why = "rotation requested"
        } else {
            switch Result(catching: { try StoredPair.load(certPath: certPath, keyPath: keyPath) }) {
            case .success(nil):
                if FileIO.exists(certPath) {
                    throw StateProblem(kind: kind, reason: "\(kind.stem).crt is there but its key is not", path: dir)
                }
                if FileIO.exists(keyPath) {
                    // A key without its certificate: an issue interrupted between the two writes
                    // (keys are written first). Its certificate was never published, so a new CA
                    // is issued; the key is still kept, never destroyed.
                    let kept = dryRun ? [] : try StoredPair.moveAside([keyPath], suffix: "orphan-\(env.now())")
                    why = "an interrupted issue left a key without its certificate\(kept.isEmpty ? "" : ", kept as \(kept[0])")"
                } else {
                    why = "no \(kind.label) in \(dir)"
                }
            case .success(let p?):
                let problem: String?
                do { problem = try caProblem(p, server) } catch { throw StateProblem(kind: kind, reason: "\(error)", path: dir) }
                guard let problem else { return CA(pair: p, fresh: false) }
                why = problem
            case .failure(let error):
                throw StateProblem(kind: kind, reason: "\(error)", path: dir)
            }
        }
        let (cert, key, _) = try newCA(kind, server)
        let kept = dryRun ? [] : try StoredPair.moveAside([certPath, keyPath], suffix: "replaced-\(env.now())")
        let effect = kind == .serving ? "the APIService caBundle changes" : "every etcd certificate is re-issued"
        let saved = kept.isEmpty ? "" : "; the old one is kept as \(kept.joined(separator: " and "))"
        notes.append("\(server.name.value): \(dryRun ? "would issue" : "issued") a new \(kind.label) (\(why)); \(effect)\(saved)")
        let pair = try StoredPair.store(cert: cert, key: key, certPath: certPath, keyPath: keyPath, write: !dryRun, staged: staged)
        return CA(pair: pair, fresh: true)
    }

    /// The stored material's hygiene, before it is used: a key others can read is set back to
    /// 0600 (W0008). (A certificate whose notBefore is ahead of the clock is found by the reuse
    /// rules, which replace it; `material` reports it as W0009. Parsing every certificate here
    /// too would double a warm build's cost.)
    func audit(_ server: APIServer) -> [Diagnostic] {
        let dir = state.directory(for: server)
        var out: [Diagnostic] = []
        for name in FileIO.list(dir) {
            let path = "\(dir)/\(name)"
            if name.hasSuffix(".key"), let mode = FileIO.mode(of: path), mode & 0o077 != 0 {
                let fixed = dryRun || chmod(path, 0o600) == 0
                out.append(Diagnostic(.keyReadableByOthers, "\(path) was readable by others (mode \(String(mode, radix: 8)))", at: server.span,
                                      note: "a private key", help: fixed && !dryRun ? "extc set it to 0600; rotate it if others may have read it"
                                          : "set it to 0600 (`chmod 600 \(path)`); rotate it if others may have read it"))
            }
        }
        return out
    }

    /// A new self-signed CA for `server`.
    func newCA(_ kind: CAKind, _ server: APIServer) throws -> (cert: Certificate, key: PrivateKey, pem: String) {
        let key = try Issuer.generateKey(server.certs.key.value)
        let name = kind == .serving ? "\(server.name.value)-ca" : "\(server.name.value)-etcd-ca"
        let cert = try Issuer.makeCA(commonName: "\(name)@\(env.now())", key: key, lifetime: server.certs.caValidity.value, env: env)
        return (cert, key, try cert.pem())
    }

    /// Stored CA material that exists but cannot be used: E0308, and nothing is replaced.
    struct StateProblem: Error, CustomStringConvertible {
        let kind: CAKind
        let reason: String
        let path: String
        var description: String { "the stored \(kind.label) in \(path) cannot be used: \(reason)" }
    }

    /// Why a stored CA cannot be kept, if it cannot; throws when its key cannot be parsed.
    func caProblem(_ p: StoredPair, _ server: APIServer) throws -> String? {
        if !(try p.keyMatches()) { return "the stored CA key does not match its certificate" }
        if p.info.notBefore > env.now() { return "the stored CA is \(Self.clockSkew)" }
        if !p.info.isCA { return "the stored CA certificate is not a CA" }
        let left = p.info.notAfter - env.now()
        if left <= server.certs.renewBefore.value { return expiry("the CA", left) }
        return nil
    }

    private func leaf(_ request: LeafRequest, _ server: APIServer, ca: CA, forced: Bool, staged: StagedFiles,
                      notes: inout [String]) throws -> PEMPair {
        let dir = state.directory(for: server)
        let certPath = "\(dir)/\(request.stem).crt", keyPath = "\(dir)/\(request.stem).key"
        var why: String
        if forced {
            why = ca.fresh ? "signed by the new \(request.issuer.label)" : "rotation requested"
        } else if let p = try? StoredPair.load(certPath: certPath, keyPath: keyPath) {
            guard let problem = leafProblem(p, server, request, ca: ca.pair) else { return PEMPair(certPEM: p.certPEM, keyPEM: p.keyPEM) }
            why = problem
        } else {
            why = FileIO.exists(certPath) ? "the stored certificate could not be read" : "none in \(dir)"
        }
        let key = try KeyPrefetch.shared.take(keyPath) ?? Issuer.generateKey(server.certs.key.value)
        let cert = try Issuer.makeLeaf(request, key: key, lifetime: server.certs.validity.value, ca: ca.pair.cert, caKey: try ca.pair.key(), env: env)
        let p = try StoredPair.store(cert: cert, key: key, certPath: certPath, keyPath: keyPath, write: !dryRun, staged: staged)
        if !dryRun { p.cache.insertSigned(p.certDigest, by: ca.pair.certDigest) }  // signed just now
        notes.append("\(server.name.value): \(dryRun ? "would issue" : "issued") \(request.role == "serving" ? "a" : "an") \(request.role) certificate for \(request.commonName) (\(why))")
        return PEMPair(certPEM: p.certPEM, keyPEM: p.keyPEM)
    }

    func leafProblem(_ p: StoredPair, _ server: APIServer, _ request: LeafRequest, ca: StoredPair) -> String? {
        guard let matches = try? p.keyMatches() else { return "the stored key could not be read" }
        if !matches { return "the stored key does not match its certificate" }
        if (try? p.isSigned(by: ca)) != true { return "the stored certificate is not signed by the configured CA" }
        if p.info.commonName != request.commonName || p.info.dnsNames != request.dnsNames || p.info.ipAddresses != request.ipAddresses {
            let had = p.info.dnsNames + p.info.ipAddresses, want = request.dnsNames + request.ipAddresses
            return "its names changed from \(had.joined(separator: ",")) to \(want.joined(separator: ","))"
        }
        if p.info.usage != request.usage { return "its usage changed from \(p.info.usage) to \(request.usage)" }
        if p.info.notBefore > env.now() { return "it is \(Self.clockSkew)" }
        let want = server.certs.key.value.rawValue
        if p.info.key.description != want { return "key algorithm changed from \(p.info.key) to \(want)" }
        let left = p.info.notAfter - env.now()
        if left <= server.certs.renewBefore.value { return expiry("it", left) }
        return nil
    }

    private func expiry(_ what: String, _ left: Int) -> String {
        left <= 0 ? "\(what) expired" : "\(what) expires in \(Names.formatDuration(max(left / 86_400, 1) * 86_400)), within renew-before"
    }
}
