import ExtcCerts
import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

extension Commands {
    /// Shows stored certificates; with a rotation, replaces them first.
    public func certs(_ inputs: Inputs, state: StateDirectory, rotate: Rotation, grace: Int = RotationRecord.defaultGrace,
                      env: CertEnvironment = .system) -> ExitStatus {
        Safety.disableCoreDumps()
        let (result, status) = compile(inputs)
        guard let result else { return status }
        console.report(result.diagnostics)
        guard let program = result.program else { return status }
        let backend = CertBackend(state: state, env: env, grace: grace)
        var failed = false
        for server in program.servers {
            if rotate != .none, server.certs.ca.value != .certManager {
                let outcome = backend.material(for: server, rotate: rotate)
                outcome.notes.forEach(console.note)
                console.report(outcome.diagnostics)
                failed = failed || outcome.diagnostics.contains(where: \.isError)
            }
            Console.out(describe(server, backend: backend, now: env.now()))
        }
        return failed ? .specErrors : .success
    }

    func describe(_ server: APIServer, backend: CertBackend, now: Int) -> String {
        let source = server.certs.ca.value
        var out = "\(server.name.value): CA \(source.name)"
        if source == .certManager { return out + "; cert-manager issues and renews the certificates in the cluster\n" }
        out += ", state \(backend.state.directory(for: server))\n"
        if let r = backend.rotationStatus(server) {
            out += "  CA rotation phase \(r.phase) of 2: the caBundle holds two CAs; the next step is due after \(Self.utc(r.due))\n"
        }
        let stored = backend.inspect(server)
        if stored.isEmpty { return out + "  nothing issued yet; `extc build` issues it\n" }
        for c in stored {
            let days = (c.info.notAfter - now) / 86_400
            out += "  \(c.role)\n"
            out += "    subject     CN=\(c.info.commonName)\n"
            if !c.info.dnsNames.isEmpty { out += "    DNS names   \(c.info.dnsNames.joined(separator: ", "))\n" }
            if !c.info.ipAddresses.isEmpty { out += "    IP          \(c.info.ipAddresses.joined(separator: ", "))\n" }
            if !c.info.isCA { out += "    usage       \(c.info.usage)\n" }
            out += "    key         \(c.info.key)\n"
            out += "    not after   \(Self.utc(c.info.notAfter)) (\(days < 0 ? "expired" : "\(days) days left"))\n"
            out += "    sha256      \(c.info.sha256)\n"
        }
        return out
    }

    static func utc(_ epoch: Int) -> String { CertBackend.utc(epoch) }
}
