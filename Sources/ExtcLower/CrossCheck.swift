import ExtcCheck
import ExtcSyntax

/// Verifies the invariants the aggregation layer depends on, over the generated objects alone.
/// A finding is a bug in extc (E0900), reported at the spec entry responsible.
public enum CrossCheck {
    public static func verify(_ objects: [KubeObject], program: Program) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for server in program.servers {
            let mine = objects.filter { $0.body.at("metadata.labels")?["app.kubernetes.io/instance"]?.stringValue == server.name.value }
            out += verify(server, mine)
        }
        return out
    }

    static func verify(_ server: APIServer, _ objects: [KubeObject]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        func fail(_ message: String, _ at: Span) {
            out.append(Diagnostic(.internalInvariant, message, at: at, note: "generated from here",
                                  help: "this is a bug in extc; please report it with this spec"))
        }
        guard let deployment = objects.first(where: { $0.kind == "Deployment" }) else {
            fail("no Deployment was generated for apiserver `\(server.name.value)`", server.span)
            return out
        }
        let pod = deployment.body.at("spec.template.spec")
        let account = pod?["serviceAccountName"]?.stringValue
        for binding in objects where binding.kind.hasSuffix("RoleBinding") {
            for subject in binding.body["subjects"]?.listValue ?? [] {
                let name = subject["name"]?.stringValue, ns = subject["namespace"]?.stringValue
                if subject["kind"]?.stringValue != "ServiceAccount" || name != account || ns != deployment.namespace {
                    fail("\(binding.reference) binds \(ns ?? "?")/\(name ?? "?"), not the Deployment's ServiceAccount", binding.origin)
                }
            }
        }
        let podLabels = deployment.body.at("spec.template.metadata.labels")?.fields ?? []
        let containerPorts = (pod?["containers"]?.listValue ?? []).flatMap { $0["ports"]?.listValue ?? [] }
        let services = objects.filter { $0.kind == "Service" }
        for svc in services {
            for f in svc.body.at("spec.selector")?.fields ?? [] where !podLabels.contains(f) {
                fail("\(svc.reference) selects \(f.key)=\(f.value.stringValue ?? "?"), which the pods do not carry", svc.origin)
            }
            for p in svc.body.at("spec.ports")?.listValue ?? [] {
                let target = p["targetPort"]?.stringValue
                if !containerPorts.contains(where: { $0["name"]?.stringValue == target }) {
                    fail("\(svc.reference) targets port `\(target ?? "?")`, which the container does not expose", svc.origin)
                }
            }
        }
        let secretNames = objects.filter { $0.kind == "Secret" }.map(\.name)
            + objects.filter { $0.kind == "Certificate" }.compactMap { $0.body.at("spec.secretName")?.stringValue }
        for v in pod?["volumes"]?.listValue ?? [] {
            if let s = v.at("secret.secretName")?.stringValue, !secretNames.contains(s) {
                fail("the Deployment mounts Secret `\(s)`, which is not generated", deployment.origin)
            }
        }
        for api in objects where api.kind == "APIService" {
            let group = api.body.at("spec.group")?.stringValue ?? "", version = api.body.at("spec.version")?.stringValue ?? ""
            if group != server.group.value || !server.versions.contains(where: { $0.value == version }) {
                fail("\(api.reference) serves \(group)/\(version), which the spec does not declare", api.origin)
            }
            if api.name != "\(version).\(group)" { fail("\(api.reference) is not named `\(version).\(group)`", api.origin) }
            let ref = api.body.at("spec.service")
            let target = services.first { $0.name == ref?["name"]?.stringValue && $0.namespace == ref?["namespace"]?.stringValue }
            if target == nil {
                fail("\(api.reference) points at a Service that is not generated", api.origin)
            } else if !(target!.body.at("spec.ports")?.listValue ?? []).contains(where: { $0["port"] == ref?["port"] }) {
                fail("\(api.reference) uses port \(ref?["port"]?.intValue ?? 0), which its Service does not expose", api.origin)
            }
            if api.body.at("spec.insecureSkipTLSVerify") != nil { fail("\(api.reference) skips TLS verification", api.origin) }
        }
        return out
    }
}
