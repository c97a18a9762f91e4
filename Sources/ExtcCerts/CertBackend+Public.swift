import ExtcCheck
import ExtcSyntax

// The public half of the certificate state: what a drift check of `--no-secrets` output needs.
// The state directory's .gitignore keeps only keys (and machine-local files) out of git, so the
// certificates can be committed beside the spec, and a fresh clone can compare the committed
// output with what the specs produce without any private key.
extension CertBackend {
    /// Invariant: the PEM pairs here hold no key (empty text); only `--no-secrets` output, which
    /// leaves out every Secret they would fill, is built from them.
    func publicMaterial(for server: APIServer) -> CertOutcome {
        var out = CertOutcome()
        if server.storage != nil, server.certs.ca.value != .certManager {
            let none = PEMPair(certPEM: "", keyPEM: "")
            out.etcd = EtcdBundle(caPEM: "", server: none, peer: none, client: none)
        }
        let dir = state.directory(for: server)
        func read(_ name: String) -> String? {
            (try? FileIO.read("\(dir)/\(name)")).map { String(decoding: $0, as: UTF8.self) }.flatMap { pem in
                (try? Certificate.parse(pem: pem)) == nil ? nil : pem
            }
        }
        switch server.certs.ca.value {
        case .certManager, .external, .serviceCA:
            out.material = server.certs.ca.value == .certManager ? .certManager : .elsewhere
        case .files(let certPath, _):
            let path = FileIO.resolve(certPath, relativeTo: FileIO.directory(of: server.span.file.path))
            guard let bytes = try? FileIO.read(path), let ca = try? Certificate.parse(pem: String(decoding: bytes, as: UTF8.self)),
                  let pem = try? ca.pem() else {
                out.diagnostics.append(Diagnostic(.caFileUnreadable, "cannot read the CA certificate \(path)", at: server.certs.ca.span,
                                                  note: "your CA, named here", help: "commit the CA certificate (never its key) beside the spec"))
                return out
            }
            out.material = .inline(PEMBundle(caPEM: pem, certPEM: "", keyPEM: "", bundlePEM: pem))
        case .generated:
            guard let current = read("ca.crt") else {
                out.diagnostics.append(Diagnostic(.noPublicState, "no committed CA certificate for `\(server.name.value)` in \(dir)", at: server.span,
                                                  note: "the caBundle comes from it",
                                                  help: "commit \(dir)/ca.crt (its .gitignore keeps the keys out), or run the check where the state is"))
                return out
            }
            var bundle = current
            switch RotationRecord.load(dir)?.phase {
            case 1?: bundle += read("ca-next.crt") ?? ""
            case 2?: bundle += read("ca-previous.crt") ?? ""
            default: break
            }
            out.material = .inline(PEMBundle(caPEM: current, certPEM: "", keyPEM: "", bundlePEM: bundle))
        }
        return out
    }
}
