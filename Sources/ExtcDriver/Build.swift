import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

public struct BuildOptions: Sendable {
    public var layout: Layout = .stream
    public var format: OutputFormat = .yaml
    public var includeSecrets = true
    public var rotate: Rotation = .none

    public init() {}
}

/// A finished build: objects, rendered files, what the cert backend did.
public struct BuildOutput: Sendable {
    public let objects: [KubeObject]
    public let files: [OutputFile]
    /// The files a build without Secrets leaves out of a layout (and leaves alone on disk); nil
    /// when the build includes them.
    public let withheld: [String]?
    public let notes: [String]
    public let diagnostics: [Diagnostic]

    public var failed: Bool { diagnostics.contains { $0.isError } }
    public var internalFailure: Bool { diagnostics.contains { $0.code == .internalInvariant } }
}

/// IR -> certificates -> objects -> cross-object checks -> rendered files. Writes nothing but the
/// cert state; the caller decides where output goes.
public enum Builder {
    public static func build(_ program: Program, options: BuildOptions, certs: CertBackend) throws -> BuildOutput {
        var notes: [String] = []
        var diagnostics: [Diagnostic] = []
        var tls: [String: ServerTLS] = [:]
        // Every server's keys and certificates at once, on every core; outcomes in program order.
        for (server, outcome) in zip(program.servers, certs.materials(for: program.servers, rotate: options.rotate)) {
            notes += outcome.notes
            diagnostics += outcome.diagnostics
            let etcd = outcome.etcd.map { e in
                EtcdPEM(caPEM: e.caPEM, server: (e.server.certPEM, e.server.keyPEM), peer: (e.peer.certPEM, e.peer.keyPEM),
                        client: (e.client.certPEM, e.client.keyPEM))
            }
            var serving: ServingPEM? = nil
            if case .inline(let p)? = outcome.material { serving = ServingPEM(caPEM: p.caPEM, certPEM: p.certPEM, keyPEM: p.keyPEM, bundlePEM: p.bundlePEM) }
            tls[server.name.value] = ServerTLS(serving: serving, etcd: etcd)
        }
        let (configFiles, fileDiagnostics) = ConfigFileReader.read(program)
        diagnostics += fileDiagnostics
        guard !diagnostics.contains(where: \.isError) else {
            return BuildOutput(objects: [], files: [], withheld: nil, notes: notes, diagnostics: diagnostics)
        }
        let all = Lowering.lower(program, tls: tls, files: configFiles)
        diagnostics += CrossCheck.verify(all, program: program)
        guard !diagnostics.contains(where: \.isError) else {
            return BuildOutput(objects: [], files: [], withheld: nil, notes: notes, diagnostics: diagnostics)
        }
        let objects = options.includeSecrets ? all : all.filter { !$0.sensitive }
        let files = try Layouts.files(all, layout: options.layout, format: options.format, includeSecrets: options.includeSecrets)
        let withheld = options.includeSecrets ? nil : Layouts.withheldNames(all, layout: options.layout, format: options.format)
        return BuildOutput(objects: objects, files: files, withheld: withheld, notes: notes, diagnostics: diagnostics)
    }
}
