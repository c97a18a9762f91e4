import ExtcCheck
import ExtcSyntax

// `ca files CERT KEY`: a CA the user already has.
extension CertBackend {
    func fileCA(_ server: APIServer, _ certPath: String, _ keyPath: String, _ diagnostics: inout [Diagnostic]) -> CA? {
        let span = server.certs.ca.span
        let dir = FileIO.directory(of: server.span.file.path)
        func fail(_ code: DiagnosticCode, _ message: String, _ help: String) -> CA? {
            diagnostics.append(Diagnostic(code, message, at: span, note: "your CA, named here", help: help))
            return nil
        }
        let certFile = FileIO.resolve(certPath, relativeTo: dir), keyFile = FileIO.resolve(keyPath, relativeTo: dir)
        let certPEM: String, keyPEM: String
        do {
            certPEM = String(decoding: try FileIO.read(certFile), as: UTF8.self)
            keyPEM = String(decoding: try FileIO.read(keyFile), as: UTF8.self)
        } catch {
            return fail(.caFileUnreadable, "cannot read the CA: \(error)", "paths are relative to the spec's directory")
        }
        guard let cert = try? Certificate.parse(pem: certPEM) else {
            return fail(.caFileUnreadable, "\(certFile) holds no PEM certificate", "give the CA certificate in PEM (BEGIN CERTIFICATE)")
        }
        let key: PrivateKey
        do { key = try PrivateKey.parse(pem: keyPEM) } catch PrivateKey.KeyError.encrypted {
            return fail(.caKeyEncrypted, "the CA key \(keyFile) is encrypted", "decrypt it into a file kept out of git: `openssl pkey -in ca.key -out ca.plain.key`")
        } catch {
            return fail(.caFileUnreadable, "\(keyFile) holds no PEM private key (\(error))", "give the key as PKCS#8, PKCS#1 or SEC1 PEM")
        }
        guard let info = try? CertificateInfo(cert), info.isCA else {
            return fail(.caNotCA, "\(certFile) is not a CA certificate", "give a certificate with basicConstraints CA:TRUE")
        }
        guard CertificateInfo.matches(cert, key) else {
            return fail(.caKeyMismatch, "\(keyFile) is not the key of \(certFile)", "check that the two files belong together")
        }
        let left = info.notAfter - env.now()
        if left <= server.certs.renewBefore.value {
            return fail(.caTooShort, left <= 0 ? "the CA in \(certFile) has expired" : "the CA in \(certFile) expires in \(left / 86_400) days, within renew-before",
                        "extc cannot renew a CA you own: renew it (same key or new), replace \(certFile) and \(keyFile), then build; or lower `renew-before`")
        }
        guard let normalized = try? cert.pem() else { return nil }
        return CA(pair: StoredPair(certPEM: normalized, keyPEM: keyPEM, cert: cert, key: key, info: info,
                                   cache: StateCache.of(state.directory(for: server))), fresh: false)
    }
}
