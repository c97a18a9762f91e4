import ExtcCheck
import ExtcSyntax

/// Verifies the invariants the aggregation layer and etcd depend on, over the generated objects
/// alone. A finding is a bug in extc (E0900), reported at the spec entry responsible.
///
/// Linear in the number of objects: they are grouped by server once, and each server's checks
/// look only at its own objects.
public enum CrossCheck {
    public static func verify(_ objects: [KubeObject], program: Program) -> [Diagnostic] {
        var byServer: [String: [KubeObject]] = [:]
        for o in objects {
            guard let owner = o.body.at("metadata.labels")?["app.kubernetes.io/instance"]?.stringValue else { continue }
            byServer[owner, default: []].append(o)
        }
        return program.servers.flatMap { verify(server: $0, objects: byServer[$0.name.value] ?? []) }
    }

    /// One server's checks, over the objects of the output that are its own.
    public static func verify(server: APIServer, objects: [KubeObject]) -> [Diagnostic] {
        var check = ServerCheck(server: server, objects: objects)
        return check.run()
    }
}

/// A workload's pod template, as the checks see it.
private struct PodTemplate {
    let owner: KubeObject
    let labels: [Node.Field]
    let spec: Node?

    init?(_ o: KubeObject) {
        guard o.kind == "Deployment" || o.kind == "StatefulSet" else { return nil }
        owner = o
        labels = o.body.at("spec.template.metadata.labels")?.fields ?? []
        spec = o.body.at("spec.template.spec")
    }

    /// Regular and init (sidecar) containers.
    var containers: [Node] { (spec?["containers"]?.listValue ?? []) + (spec?["initContainers"]?.listValue ?? []) }
    var ports: [Node] { containers.flatMap { $0["ports"]?.listValue ?? [] } }

    func carries(_ selector: [Node.Field]) -> Bool { !selector.isEmpty && selector.allSatisfy(labels.contains) }

    /// Every Secret the pods mount, directly or through a projected volume.
    var secrets: [String] {
        (spec?["volumes"]?.listValue ?? []).flatMap { v -> [String] in
            if let s = v.at("secret.secretName")?.stringValue { return [s] }
            return (v.at("projected.sources")?.listValue ?? []).compactMap { $0.at("secret.name")?.stringValue }
        }
    }
}

private struct ServerCheck {
    let server: APIServer
    let objects: [KubeObject]
    var out: [Diagnostic] = []

    init(server: APIServer, objects: [KubeObject]) {
        self.server = server
        self.objects = objects
    }

    mutating func fail(_ message: String, _ at: Span) {
        out.append(Diagnostic(.internalInvariant, message, at: at, note: "generated from here",
                              help: "this is a bug in extc; please report it with this spec"))
    }

    func all(_ kind: String) -> [KubeObject] { objects.filter { $0.kind == kind } }

    mutating func run() -> [Diagnostic] {
        guard let deployment = all("Deployment").first, let pod = PodTemplate(deployment) else {
            fail("no Deployment was generated for apiserver `\(server.name.value)`", server.span)
            return out
        }
        let pods = objects.compactMap(PodTemplate.init)
        bindings(account: pod.spec?["serviceAccountName"]?.stringValue, namespace: deployment.namespace)
        services(pods)
        secrets(pods)
        apiServices()
        if server.storage != nil { storage(pod, pods) }
        return out
    }

    /// Every binding's subject is the Deployment's ServiceAccount.
    mutating func bindings(account: String?, namespace: String?) {
        for binding in objects where binding.kind.hasSuffix("RoleBinding") {
            for subject in binding.body["subjects"]?.listValue ?? [] {
                let name = subject["name"]?.stringValue, ns = subject["namespace"]?.stringValue
                if subject["kind"]?.stringValue != "ServiceAccount" || name != account || ns != namespace {
                    fail("\(binding.reference) binds \(ns ?? "?")/\(name ?? "?"), not the Deployment's ServiceAccount", binding.origin)
                }
            }
        }
    }

    /// Every Service selects some workload's pods and targets ports those pods expose.
    mutating func services(_ pods: [PodTemplate]) {
        for svc in all("Service") {
            let selector = svc.body.at("spec.selector")?.fields ?? []
            guard let target = pods.first(where: { $0.carries(selector) }) else {
                fail("\(svc.reference) selects \(selector.map { "\($0.key)=\($0.value.stringValue ?? "?")" }.joined(separator: ",")), which no generated pods carry", svc.origin)
                continue
            }
            for p in svc.body.at("spec.ports")?.listValue ?? [] {
                let name = p["targetPort"]?.stringValue
                if !target.ports.contains(where: { $0["name"]?.stringValue == name }) {
                    fail("\(svc.reference) targets port `\(name ?? "?")`, which \(target.owner.reference) does not expose", svc.origin)
                }
            }
        }
    }

    /// Every mounted Secret is generated, issued by a generated cert-manager Certificate or by
    /// OpenShift's service-ca for a generated Service, or one the spec names as existing.
    mutating func secrets(_ pods: [PodTemplate]) {
        var made = Set(all("Secret").map(\.name) + all("Certificate").compactMap { $0.body.at("spec.secretName")?.stringValue })
        made.formUnion(all("Service").compactMap { $0.body.at("metadata.annotations")?["service.beta.openshift.io/serving-cert-secret-name"]?.stringValue })
        if case .external(let s) = server.certs.ca.value { made.insert(s) }
        for v in server.volumes { if case .secret(let s) = v.source.value { made.insert(s) } }
        for pod in pods {
            for s in pod.secrets where !made.contains(s) {
                fail("\(pod.owner.reference) mounts Secret `\(s)`, which is not generated", pod.owner.origin)
            }
        }
    }

    mutating func apiServices() {
        let services = all("Service")
        for api in all("APIService") {
            let group = api.body.at("spec.group")?.stringValue ?? "", version = api.body.at("spec.version")?.stringValue ?? ""
            let served = server.groups.first { $0.name.value == group }
            if served == nil || !served!.versions.contains(where: { $0.name.value == version }) {
                fail("\(api.reference) serves \(group)/\(version), which the spec does not declare", api.origin)
            }
            if api.name != "\(version).\(group)" { fail("\(api.reference) is not named `\(version).\(group)`", api.origin) }
            let ref = api.body.at("spec.service")
            let target = services.first { $0.name == ref?["name"]?.stringValue && $0.namespace == ref?["namespace"]?.stringValue }
            if let target {
                if !(target.body.at("spec.ports")?.listValue ?? []).contains(where: { $0["port"] == ref?["port"] }) {
                    fail("\(api.reference) uses port \(ref?["port"]?.intValue ?? 0), which its Service does not expose", api.origin)
                }
            } else {
                fail("\(api.reference) points at a Service that is not generated", api.origin)
            }
            if api.body.at("spec.insecureSkipTLSVerify") != .bool(false) { fail("\(api.reference) does not verify TLS", api.origin) }
            let inline = server.certs.ca.value.isLocal
            if (api.body.at("spec.caBundle") != nil) != inline {
                fail("\(api.reference) \(inline ? "has no" : "has a") caBundle, though \(inline ? "extc holds" : "extc does not hold") the CA", api.origin)
            }
        }
    }

    /// The server reaches an etcd that listens where `--etcd-servers` says, through a Service that
    /// selects the members (cluster) or on the pod's loopback (sidecar), and the NetworkPolicy
    /// lets the server's pods in.
    mutating func storage(_ apiserver: PodTemplate, _ pods: [PodTemplate]) {
        let at = server.storage!.mode.span
        let args = apiserver.containers.first { $0["name"]?.stringValue == ServerNames.container }?["args"]?.listValue.compactMap(\.stringValue) ?? []
        guard let url = args.first(where: { $0.hasPrefix("--etcd-servers=") })?.dropFirst("--etcd-servers=".count) else {
            fail("the server is not given `--etcd-servers`", at)
            return
        }
        guard let etcd = pods.flatMap(\.containers).first(where: { $0["name"]?.stringValue == ServerNames.etcdContainer }) else {
            fail("no etcd container was generated", at)
            return
        }
        let etcdArgs = etcd["command"]?.listValue.compactMap(\.stringValue) ?? []
        let host = url.dropFirst("https://".count).prefix { $0 != ":" }
        if host == "127.0.0.1" {
            if !etcdArgs.contains("--listen-client-urls=\(url)") { fail("the sidecar etcd does not listen on \(url)", at) }
            return
        }
        let parts = host.split(separator: ".")
        let service = all("Service").first { $0.name == parts.first.map(String.init) && $0.namespace == (parts.count > 1 ? String(parts[1]) : nil) }
        let members = pods.first { $0.owner.kind == "StatefulSet" }
        if service == nil || members == nil || !(members!.carries(service!.body.at("spec.selector")?.fields ?? [])) {
            fail("`--etcd-servers=\(url)` does not reach the etcd StatefulSet through a generated Service", at)
        }
        let policy = all("NetworkPolicy").first
        let admitted = (policy?.body.at("spec.ingress")?.listValue ?? []).contains { rule in
            (rule["ports"]?.listValue ?? []).contains { $0["port"]?.intValue == EtcdTopology.clientPort }
                && (rule["from"]?.listValue ?? []).contains { apiserver.carries($0.at("podSelector.matchLabels")?.fields ?? []) }
        }
        if !admitted { fail("the etcd NetworkPolicy does not admit the server's pods to the client port", at) }
    }
}
