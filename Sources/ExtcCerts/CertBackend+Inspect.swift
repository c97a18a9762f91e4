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
            guard let bytes = try? FileIO.read(path), let cert = try? Certificate.parse(pem: String(decoding: bytes, as: UTF8.self)),
                  let info = try? CertificateInfo(cert) else { return nil }
            return StoredCertificate(role: role, path: path, info: info)
        }
    }

    /// W0005 for each stored certificate within its renewal window.
    public func expiryWarnings(_ server: APIServer) -> [Diagnostic] {
        inspect(server).compactMap { c in
            let left = c.info.notAfter - env.now()
            guard left <= server.certs.renewBefore.value else { return nil }
            let when = left <= 0 ? "has expired" : "expires in \(max(1, left / 86_400)) day\(left / 86_400 == 1 ? "" : "s")"
            return Diagnostic(.certificateExpiring, "the \(c.role) certificate of `\(server.name.value)` \(when)", at: server.span,
                              note: "stored in \(c.path)", help: "`extc build` renews it (renew-before \(Names.formatDuration(server.certs.renewBefore.value)))")
        }
    }
}
