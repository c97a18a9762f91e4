import ExtcCheck
import ExtcSyntax

/// What `extc init` is told.
public struct InitRequest: Sendable {
    public var group: String
    public var image: String
    public var resources: [String]
    public var name: String?
    public var namespace: String?
    public var service = "api"
    public var versions = ["v1alpha1"]
    public var storage: String?
    public var output: String?

    public init(group: String, image: String, resources: [String]) {
        self.group = group
        self.image = image
        self.resources = resources
    }

    /// The apiserver's name: given, or the group's first label (`wardle` of wardle.example.com).
    var serverName: String { name ?? String(group.split(separator: ".").first ?? "server") }
}

extension Commands {
    /// Writes a commented starting spec, checked first: a newcomer's first command. Refuses to
    /// replace an existing file; prints to stdout without `-o`.
    public func initSpec(_ r: InitRequest) -> ExitStatus {
        let path = r.output ?? "\(r.serverName).ext"
        let (syntax, syntaxDiagnostics) = Parser.parse(SourceFile(path: path, text: Self.starterSpec(r)))
        let text = Printer.format(syntax)  // in canonical form, so `fmt --check` passes from the start
        let (_, checked) = Checker.check([syntax])
        let errors = (syntaxDiagnostics + checked).filter(\.isError)
        guard errors.isEmpty else {
            // The flags made a spec that does not check: say which value, in the spec's terms.
            console.report(errors)
            console.error("extc init wrote nothing; fix the values above")
            return .specErrors
        }
        guard let output = r.output else { Console.out(text); return .success }
        if FileIO.exists(output) {
            console.error("\(output) exists; extc init never replaces a spec")
            return .usage
        }
        do { try FileIO.write(text, to: output, mode: 0o644) } catch {
            console.error("\(error)")
            return .ioError
        }
        console.note("wrote \(output); next: `extc check \(output)`, then `extc build \(output) | kubectl apply -f -`")
        return .success
    }

    static func starterSpec(_ r: InitRequest) -> String {
        let name = r.serverName, namespace = r.namespace ?? name
        let storage = r.storage.map { "  storage   \($0)\n" }
            ?? "  # storage sidecar # an etcd, with mutual TLS, for a server that keeps state (`storage cluster` for HA)\n"
        let resources = r.resources.map { "  resource \($0) { verbs get list watch create update patch delete }\n" }.joined()
        return """
            # \(name).ext: written by `extc init`. README's "The language" documents every field;
            # `extc fmt --write` keeps it tidy, `extc check` checks it, `extc build` compiles it.
            apiserver \(name) {
              group     \(r.group)
              versions  \(r.versions.joined(separator: " ")) # one APIService each
              namespace \(namespace)
              service   \(r.service) # the serving certificate is for \(r.service).\(namespace).svc
              image     \(r.image)
              library   \(LibraryRBAC.newest) # the Kubernetes minor version of its k8s.io/apiserver
            \(storage)
            \(resources)}

            """
    }
}
