import ExtcCheck
import ExtcSyntax

/// Lowers one server. Each method makes one object; key order inside each follows the per-kind
/// order documented in README ("Output").
struct ServerLowering {
    let server: APIServer
    let tls: ServerTLS
    let files: ConfigFiles
    let n: ServerNames

    init(server: APIServer, tls: ServerTLS, files: ConfigFiles = ConfigFiles()) {
        self.server = server
        self.tls = tls
        self.files = files
        self.n = ServerNames(server: server)
    }

    func objects() -> [KubeObject] {
        var out: [KubeObject] = []
        if server.createNamespace { out.append(namespace()) }
        if server.createServiceAccount { out.append(serviceAccount()) }
        out += [ownRole(), ownRoleBinding(), authDelegatorBinding(), authReaderBinding()]
        out += userRoles()
        if let serving = tls.serving { out.append(secret(serving)) }
        if let etcd = tls.etcd { out += etcdSecrets(etcd) }
        if server.certs.ca.value == .certManager {
            out += certManagerObjects()
            if server.storage != nil { out += etcdCertManagerObjects() }
        }
        out += configMaps()
        out.append(service())
        out += storageObjects()
        out.append(deployment())
        if server.replicas.value >= 2 { out.append(disruptionBudget()) }
        out += apiServices()
        return out
    }

    // MARK: Helpers

    func metadata(_ name: String, namespace: String?, labels: [(String, String)] = [],
                  annotations: [(String, String)] = []) -> Node {
        let annotations = server.annotations.map { ($0.key.value, $0.value.value) } + annotations
        return .compact([("name", .string(name)), ("namespace", namespace.map(Node.string)),
                         ("labels", .strings(n.labels + labels)), ("annotations", .strings(annotations))])
    }

    func object(_ apiVersion: String, _ kind: String, _ name: String, namespace: String?, origin: Span,
                sensitive: Bool = false, labels: [(String, String)] = [], annotations: [(String, String)] = [],
                _ rest: [(String, Node?)]) -> KubeObject {
        let meta = metadata(name, namespace: namespace, labels: labels, annotations: annotations)
        let body = Node.compact([("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", meta)] + rest)
        return KubeObject(kind: kind, apiVersion: apiVersion, name: name, namespace: namespace, body: body,
                          origin: origin, sensitive: sensitive)
    }

    var subject: Node {
        ["kind": "ServiceAccount", "name": .string(n.serviceAccount), "namespace": .string(n.namespace)]
    }

    func roleRef(_ kind: String, _ name: String) -> Node {
        ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(kind), "name": .string(name)]
    }

    // MARK: Identity

    func namespace() -> KubeObject {
        object("v1", "Namespace", n.namespace, namespace: nil, origin: server.namespace.span, [])
    }

    func serviceAccount() -> KubeObject {
        object("v1", "ServiceAccount", n.serviceAccount, namespace: n.namespace, origin: server.name.span, [])
    }

    // MARK: The server's own RBAC

    func ownRole() -> KubeObject {
        let rules: [Node] = server.rules.map { r in
            ["apiGroups": .list(r.apiGroups.map(Node.string)), "resources": .list(r.resources.map(Node.string)),
             "verbs": .list(r.verbs.map(Node.string))]
        }
        return object("rbac.authorization.k8s.io/v1", "ClusterRole", n.ownRole, namespace: nil,
                      origin: server.rules.first?.span ?? server.span, [("rules", .list(rules))])
    }

    func ownRoleBinding() -> KubeObject {
        object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", n.ownRole, namespace: nil, origin: server.span,
               [("roleRef", roleRef("ClusterRole", n.ownRole)), ("subjects", [subject])])
    }

    func authDelegatorBinding() -> KubeObject {
        object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", n.authDelegator, namespace: nil, origin: server.span,
               [("roleRef", roleRef("ClusterRole", "system:auth-delegator")), ("subjects", [subject])])
    }

    func authReaderBinding() -> KubeObject {
        object("rbac.authorization.k8s.io/v1", "RoleBinding", n.authReader, namespace: "kube-system", origin: server.span,
               [("roleRef", roleRef("Role", "extension-apiserver-authentication-reader")), ("subjects", [subject])])
    }
}
