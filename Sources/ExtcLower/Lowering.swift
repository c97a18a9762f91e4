import ExtcCheck
import ExtcSyntax

/// IR -> objects. Pure: the same program and material always give the same objects, in apply order
/// (by kind rank, then server name, then the order each server's objects are made in).
public enum Lowering {
    public static func lower(_ program: Program, tls: [String: ServerTLS], includeSecrets: Bool = true) -> [KubeObject] {
        var objects: [KubeObject] = []
        var namespaces: Set<String> = []
        for server in program.servers {
            let material = tls[server.name.value] ?? .certManager
            var made = ServerLowering(server: server, tls: material).objects()
            // Two servers may share a namespace: the first (by name) creates it.
            made.removeAll { $0.kind == "Namespace" && !namespaces.insert($0.name).inserted }
            objects += made.filter { includeSecrets || !$0.sensitive }
        }
        return objects.enumerated().sorted { a, b in
            a.element.rank != b.element.rank ? a.element.rank < b.element.rank : a.offset < b.offset
        }.map(\.element)
    }
}

/// The names every object of one server uses. Each is derived here once, so a binding's subject
/// and the Deployment's ServiceAccount cannot drift apart.
struct ServerNames {
    let server: APIServer

    var base: String { server.name.value }
    var namespace: String { server.namespace.value }
    var serviceAccount: String { base }
    var deployment: String { base }
    var secret: String { "\(base)-tls" }
    var ownRole: String { "\(base):apiserver" }
    var authDelegator: String { "\(base):system:auth-delegator" }
    var authReader: String { "\(base):extension-apiserver-authentication-reader" }
    var viewRole: String { "\(base):view" }
    var editRole: String { "\(base):edit" }
    var caCertificate: String { "\(base)-ca" }
    var selfSignedIssuer: String { "\(base)-selfsigned" }
    var caIssuer: String { "\(base)-ca" }
    var servingCertificate: String { "\(base)-tls" }
    /// etcd's Secrets, one per certificate (each `kubernetes.io/tls`, with `ca.crt`), so the same
    /// objects come from the cert backend and from cert-manager Certificates of the same names.
    var etcdServerSecret: String { "\(base)-etcd-server" }
    var etcdPeerSecret: String { "\(base)-etcd-peer" }
    var etcdClientSecret: String { "\(base)-etcd-client" }
    var etcdCA: String { "\(base)-etcd-ca" }
    static let etcdContainer = "etcd"
    static let etcdTLSVolume = "etcd-tls"
    static let etcdTLSMount = "/var/run/extc/etcd"
    static let etcdClientVolume = "etcd-client"
    static let etcdClientMount = "/var/run/extc/etcd-client"
    static let etcdDataVolume = "etcd-data"
    static let etcdDataMount = "/var/lib/etcd"

    /// The labels that select the etcd pods; disjoint from `selector` (their `name` differs), so the
    /// server's Service and PodDisruptionBudget never pick an etcd member.
    var etcdSelector: [(String, String)] {
        [("app.kubernetes.io/name", "\(base)-etcd"), ("app.kubernetes.io/instance", base)]
    }

    var etcdLabels: [(String, String)] {
        etcdSelector + [("app.kubernetes.io/component", "etcd"), ("app.kubernetes.io/managed-by", "extc")]
            + server.labels.map { ($0.key.value, $0.value.value) }
    }
    static let portName = "https"
    static let container = "apiserver"
    static let certVolume = "serving-cert"
    static let certMount = "/var/run/extc/serving-cert"

    /// The labels that select the pods; a subset of every object's labels.
    var selector: [(String, String)] {
        [("app.kubernetes.io/name", base), ("app.kubernetes.io/instance", base)]
    }

    var labels: [(String, String)] {
        selector + [("app.kubernetes.io/managed-by", "extc")] + server.labels.map { ($0.key.value, $0.value.value) }
    }

    /// The DNS names the serving certificate covers.
    var dnsNames: [String] { server.servingDNSNames }
}
