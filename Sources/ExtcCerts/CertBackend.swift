import ExtcCheck
import ExtcSyntax

/// The PEM text a build puts into the Secret and the APIService's caBundle.
public struct PEMBundle: Sendable, Equatable {
    public let caPEM: String
    public let certPEM: String
    public let keyPEM: String
}

public enum ServingMaterial: Sendable, Equatable {
    case inline(PEMBundle)
    case certManager
}

/// What `extc certs --rotate` replaces.
public enum Rotation: String, Sendable, CaseIterable {
    case none
    case leaf
    case all
}

/// One server's material, what was done to it (one line each), and any errors.
public struct CertOutcome: Sendable {
    public var material: ServingMaterial?
    public var notes: [String] = []
    public var diagnostics: [Diagnostic] = []
}

/// The backend pass: makes or reuses each server's CA and serving certificate.
///
/// Reuse rule: stored material is kept, byte for byte, while it fits the spec: the certificate
/// names (CN and SANs), the key algorithm, signed by the configured CA, and not within
/// `renew-before` of expiry. Otherwise the leaf is re-issued (saying why); the CA is replaced only
/// when it is itself missing, broken or within its renewal window, so the caBundle stays put.
public struct CertBackend: Sendable {
    public let state: StateDirectory
    public let env: CertEnvironment
    /// Make what is missing in memory but write nothing (`build --check`).
    public let dryRun: Bool

    public init(state: StateDirectory = StateDirectory(), env: CertEnvironment = .system, dryRun: Bool = false) {
        self.state = state
        self.env = env
        self.dryRun = dryRun
    }

    public func material(for server: APIServer, rotate: Rotation = .none) -> CertOutcome {
        var out = CertOutcome()
        do {
            switch server.certs.ca.value {
            case .certManager:
                out.material = .certManager
            case .generated:
                if !dryRun { try state.prepare(for: server) }
                let ca = try generatedCA(server, rotate: rotate, notes: &out.notes)
                out.material = .inline(try leaf(server, ca: ca, forced: rotate != .none || ca.fresh, notes: &out.notes))
            case .files(let certPath, let keyPath):
                guard let ca = fileCA(server, certPath, keyPath, &out.diagnostics) else { return out }
                if !dryRun { try state.prepare(for: server) }
                out.material = .inline(try leaf(server, ca: ca, forced: rotate != .none, notes: &out.notes))
            }
        } catch let e as IOError {
            out.diagnostics.append(Diagnostic(.stateUnusable, "certificate state for `\(server.name.value)`: \(e)",
                                              at: server.span, note: "for this apiserver",
                                              help: "check the state directory's permissions, or pass --state DIR"))
        } catch {
            out.diagnostics.append(Diagnostic(.openSSLFailure, "making certificates for `\(server.name.value)` failed: \(error)",
                                              at: server.certs.key.span, note: "while making this key material",
                                              help: "this is OpenSSL's reason; check the OpenSSL installation"))
        }
        return out
    }

    struct CA {
        let pair: StoredPair
        /// Issued by this build: every leaf must be re-issued under it.
        let fresh: Bool
    }

    private func generatedCA(_ server: APIServer, rotate: Rotation, notes: inout [String]) throws -> CA {
        let dir = state.directory(for: server)
        let why: String?
        if rotate == .all {
            why = "rotation requested"
        } else {
            let stored = try? StoredPair.load(certPath: "\(dir)/ca.crt", keyPath: "\(dir)/ca.key")
            switch stored {
            case .none: why = FileIO.exists("\(dir)/ca.crt") ? "the stored CA could not be read" : "no CA in \(dir)"
            case .some(let p):
                if let problem = caProblem(p, server) { why = problem } else { return CA(pair: p, fresh: false) }
            }
        }
        let key = try Issuer.generateKey(server.certs.key.value)
        let cert = try Issuer.makeCA(commonName: "\(server.name.value)-ca@\(env.now())", key: key,
                                     lifetime: server.certs.caValidity.value, env: env)
        notes.append("\(server.name.value): issued a new CA (\(why!)); the APIService caBundle changes")
        return CA(pair: try StoredPair.store(cert: cert, key: key, certPath: "\(dir)/ca.crt", keyPath: "\(dir)/ca.key", write: !dryRun), fresh: true)
    }

    func caProblem(_ p: StoredPair, _ server: APIServer) -> String? {
        if !CertificateInfo.matches(p.cert, p.key) { return "the stored CA key does not match its certificate" }
        if !p.info.isCA { return "the stored CA certificate is not a CA" }
        let left = p.info.notAfter - env.now()
        if left <= server.certs.renewBefore.value { return expiry("the CA", left) }
        return nil
    }

    private func leaf(_ server: APIServer, ca: CA, forced: Bool, notes: inout [String]) throws -> PEMBundle {
        let dir = state.directory(for: server)
        let names = ServingNames(server)
        var why: String
        if forced {
            why = ca.fresh ? "signed by the new CA" : "rotation requested"
        } else if let p = try? StoredPair.load(certPath: "\(dir)/tls.crt", keyPath: "\(dir)/tls.key") {
            guard let problem = leafProblem(p, server, names, ca: ca.pair) else {
                return PEMBundle(caPEM: ca.pair.certPEM, certPEM: p.certPEM, keyPEM: p.keyPEM)
            }
            why = problem
        } else {
            why = FileIO.exists("\(dir)/tls.crt") ? "the stored certificate could not be read" : "none in \(dir)"
        }
        let key = try Issuer.generateKey(server.certs.key.value)
        let cert = try Issuer.makeLeaf(commonName: names.commonName, dnsNames: names.dnsNames, key: key,
                                       lifetime: server.certs.validity.value, ca: ca.pair.cert, caKey: ca.pair.key, env: env)
        let p = try StoredPair.store(cert: cert, key: key, certPath: "\(dir)/tls.crt", keyPath: "\(dir)/tls.key", write: !dryRun)
        notes.append("\(server.name.value): issued a serving certificate for \(names.commonName) (\(why))")
        return PEMBundle(caPEM: ca.pair.certPEM, certPEM: p.certPEM, keyPEM: p.keyPEM)
    }

    func leafProblem(_ p: StoredPair, _ server: APIServer, _ names: ServingNames, ca: StoredPair) -> String? {
        if !CertificateInfo.matches(p.cert, p.key) { return "the stored key does not match its certificate" }
        if !CertificateInfo.isSigned(p.cert, by: ca.cert) { return "the stored certificate is not signed by the configured CA" }
        if p.info.commonName != names.commonName || p.info.dnsNames != names.dnsNames {
            return "its names changed from \(p.info.dnsNames.joined(separator: ",")) to \(names.dnsNames.joined(separator: ","))"
        }
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

/// The names a serving certificate must carry.
public struct ServingNames: Sendable {
    public let commonName: String
    public let dnsNames: [String]

    public init(_ server: APIServer) {
        let s = server.service.value, ns = server.namespace.value
        commonName = server.serviceHost
        dnsNames = [s, "\(s).\(ns)", "\(s).\(ns).svc", "\(s).\(ns).svc.\(server.certs.clusterDomain.value)"]
    }
}
