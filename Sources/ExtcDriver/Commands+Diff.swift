import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

/// What a change to the specs does to the cluster, object by object.
public enum DiffOutcome: Sendable {
    case same
    case different
    /// The specs did not compile, or a revision could not be read.
    case trouble(ExitStatus)
}

public enum DiffFormat: String, Sendable, CaseIterable {
    case human
    case json
}

extension Commands {
    /// Compares the objects the specs produce at `base` (a git revision) with the working tree's.
    /// Both sides use the same public certificate state, so only what the specs change shows;
    /// Secret data is redacted.
    public func diff(_ inputs: Inputs, base: String, state: StateDirectory, format: DiffFormat) -> DiffOutcome {
        let paths = inputs.paths()
        guard !paths.isEmpty else { console.error("no spec files match \(inputs.arguments.joined(separator: " "))"); return .trouble(.usage) }
        let old: [KubeObject], new: [KubeObject]
        do {
            var oldSources: [(String, [UInt8])] = []
            for p in paths { if let bytes = try Git.show(base, p) { oldSources.append((p, bytes)) } }
            let newSources = try paths.map { ($0, try inputs.read($0).bytes) }
            guard let o = objects(oldSources, state: state, side: base), let n = objects(newSources, state: state, side: "the working tree") else {
                return .trouble(.specErrors)
            }
            (old, new) = (o, n)
        } catch {
            console.error("\(error)")
            return .trouble(.ioError)
        }
        let changes = ObjectDiff.compare(old, new)
        Console.out(format == .json ? ObjectDiff.json(changes, base: base) : ObjectDiff.human(changes, base: base))
        return changes.isEmpty ? .same : .different
    }

    /// One side's objects, Secrets redacted; nil (with diagnostics) when its specs have errors.
    private func objects(_ sources: [(String, [UInt8])], state: StateDirectory, side: String) -> [KubeObject]? {
        let result = FrontEnd().compile(sources: sources)
        guard let program = result.program else {
            console.error("the specs at \(side) have errors:")
            console.report(result.diagnostics)
            return nil
        }
        let backend = CertBackend(state: state, publicOnly: true)
        var tls: [String: ServerTLS] = [:]
        for server in program.servers {
            let outcome = backend.material(for: server)
            // Without committed certificates both sides get the same stand-in caBundle.
            let ca = { if case .inline(let p)? = outcome.material { return p.bundlePEM } else { return "(no CA certificate in the state)" } }()
            let etcd = server.storage.map { _ in EtcdPEM(caPEM: "", server: ("", ""), peer: ("", ""), client: ("", "")) }
            tls[server.name.value] = ServerTLS(serving: server.certs.ca.value.isLocal ? ServingPEM(caPEM: ca, certPEM: "", keyPEM: "", bundlePEM: ca) : nil,
                                               etcd: server.certs.ca.value == .certManager ? nil : etcd)
        }
        let (files, _) = ConfigFileReader.read(program)
        return Lowering.lower(program, tls: tls, files: files).map(ObjectDiff.redacted)
    }
}

/// Object-by-object comparison, keyed by kind, namespace and name.
enum ObjectDiff {
    struct Change {
        enum Kind: String { case added, removed, changed }
        let kind: Kind
        let reference: String
        let text: String
    }

    static func key(_ o: KubeObject) -> String { "\(o.kind)/\(o.namespace ?? "")/\(o.name)" }

    /// A Secret with every data value replaced: a diff is for reviewers, never for keys.
    static func redacted(_ o: KubeObject) -> KubeObject {
        guard o.sensitive else { return o }
        let body = Node.map(o.body.fields.map { f in
            f.key == "data" ? Node.Field("data", .map(f.value.fields.map { Node.Field($0.key, "(redacted)") })) : f
        })
        return KubeObject(kind: o.kind, apiVersion: o.apiVersion, name: o.name, namespace: o.namespace, body: body, origin: o.origin, sensitive: true)
    }

    /// Changes in the new side's order (removed objects after, in the old side's order).
    static func compare(_ old: [KubeObject], _ new: [KubeObject]) -> [Change] {
        let before = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Set(new.map(key))
        var out: [Change] = []
        for o in new {
            let yaml = (try? Emit.yaml([o.body])) ?? ""
            guard let was = before[key(o)] else { out.append(Change(kind: .added, reference: o.reference, text: yaml)); continue }
            guard was.body != o.body else { continue }
            let old = (try? Emit.yaml([was.body])) ?? ""
            out.append(Change(kind: .changed, reference: o.reference, text: LineDiff.unified(old, yaml, path: o.reference, label: "(working tree)")))
        }
        for o in old where !after.contains(key(o)) {
            out.append(Change(kind: .removed, reference: o.reference, text: (try? Emit.yaml([o.body])) ?? ""))
        }
        return out
    }

    static func human(_ changes: [Change], base: String) -> String {
        guard !changes.isEmpty else { return "" }
        var out = ""
        for c in changes {
            switch c.kind {
            case .added: out += "+ added   \(c.reference)\n"
            case .removed: out += "- removed \(c.reference)\n"
            case .changed: out += "~ changed \(c.reference)\n" + c.text
            }
        }
        let counts = [Change.Kind.added, .changed, .removed].map { k in "\(changes.filter { $0.kind == k }.count) \(k.rawValue)" }
        return out + "\(counts.joined(separator: ", ")) (against \(base))\n"
    }

    static func json(_ changes: [Change], base: String) -> String {
        let items = changes.map { c in
            JSONText.object([("change", JSONText.quote(c.kind.rawValue)), ("object", JSONText.quote(c.reference)),
                             (c.kind == .changed ? "diff" : "yaml", JSONText.quote(c.text))])
        }
        return JSONText.object([("base", JSONText.quote(base)), ("changes", "[" + items.joined(separator: ",") + "]")]) + "\n"
    }
}
