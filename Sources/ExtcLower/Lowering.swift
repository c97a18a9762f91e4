import ExtcCheck
import ExtcSyntax

/// IR -> objects. Pure: the same program and material always give the same objects, in apply order
/// (by kind rank, then server name, then the order each server's objects are made in).
public enum Lowering {
    /// `files`: the contents of each `volume { files ... }`, keyed by `ConfigFiles.key`.
    public static func lower(_ program: Program, tls: [String: ServerTLS], files: ConfigFiles = ConfigFiles(),
                             includeSecrets: Bool = true) -> [KubeObject] {
        let made = program.servers.map { objects(of: $0, tls: tls[$0.name.value] ?? .none, files: files) }
        return applyOrder(made).map { made[$0.server][$0.object] }.filter { includeSecrets || !$0.sensitive }
    }

    /// One server's objects, in the order they are made. Depends on nothing but its arguments, so
    /// a watch reuses them while the server, its material and its files stay the same.
    public static func objects(of server: APIServer, tls: ServerTLS, files: ConfigFiles) -> [KubeObject] {
        ServerLowering(server: server, tls: tls, files: files).objects()
    }

    /// Where each object goes in the output, given every server's objects in program order: by
    /// kind rank, then server, then the order each server made them. Two servers may share a
    /// namespace: the first (by name) creates it, and the other's Namespace is left out.
    public static func applyOrder(_ perServer: [[KubeObject]]) -> [(server: Int, object: Int)] {
        order(perServer, carried: carried(perServer, namespaces: perServer.map(namespaces)))
    }

    /// Which of one server's objects are Namespaces (rank 0), the only ones two servers may share.
    public static func namespaces(_ objects: [KubeObject]) -> [Int] { objects.indices.filter { objects[$0].rank == 0 } }

    /// Each server's objects that the output carries, in the order they go out: by kind rank,
    /// then as the server made them, leaving out a Namespace an earlier server makes already.
    /// `namespaces`: each server's `namespaces(_:)`. `leftOut`: each server's Namespaces that an
    /// earlier server makes, when the caller knows them (a watch whose servers and their
    /// Namespaces are as in its last build); nil to work them out. `previous(server, leftOut)`:
    /// that server's list from an earlier build, when it stands with these objects left out (a
    /// watch's reused server); nil to make it here.
    public static func carried(_ perServer: [[KubeObject]], namespaces: [[Int]], leftOut known: [[Int]]? = nil,
                               previous: (Int, [Int]) -> [Int]? = { _, _ in nil }) -> [[Int]] {
        if let known { return perServer.indices.map { s in previous(s, known[s]) ?? list(perServer[s], leftOut: known[s]) } }
        var made: Set<String> = Set(minimumCapacity: perServer.count)
        return perServer.indices.map { s in
            let objects = perServer[s]
            // Rank 0 is `Namespace`: one per name, the first server's.
            var leftOut: [Int] = []
            for i in namespaces[s] where !made.insert(objects[i].name).inserted { leftOut.append(i) }
            return previous(s, leftOut) ?? list(objects, leftOut: leftOut)
        }
    }

    /// One server's objects but `leftOut`, by kind rank, then as made.
    private static func list(_ objects: [KubeObject], leftOut: [Int]) -> [Int] {
        objects.indices.filter { !leftOut.contains($0) }.sorted { (objects[$0].rank, $0) < (objects[$1].rank, $1) }
    }

    /// The lists `carried` made, merged by rank: ranks are a few small numbers, so one bucket each,
    /// filled in program order, is a stable sort in linear time.
    public static func order(_ perServer: [[KubeObject]], carried: [[Int]]) -> [(server: Int, object: Int)] {
        var buckets: [[(server: Int, object: Int)]] = []
        for (s, list) in carried.enumerated() {
            for i in list {
                let rank = perServer[s][i].rank
                while buckets.count <= rank { buckets.append([]) }
                buckets[rank].append((s, i))
            }
        }
        return buckets.flatMap { $0 }
    }
}

/// The names every object of one server uses. Each is derived here once, so a binding's subject
/// and the Deployment's ServiceAccount cannot drift apart.
struct ServerNames {
    let server: APIServer

    var base: String { server.name.value }
    var namespace: String { server.namespace.value }
    var serviceAccount: String { server.serviceAccount.value }
    var deployment: String { base }
    var secret: String { "\(base)-tls" }
    var ownRole: String { server.roleName.value }
    var authDelegator: String { server.authDelegatorName.value }
    var authReader: String { server.authReaderName.value }
    var viewRole: String { server.viewRoleName.value }
    var editRole: String { server.editRoleName.value }
    /// The Secret the pods mount the serving certificate from: extc's, or the one its owner writes.
    var servingSecret: String {
        if case .external(let s) = server.certs.ca.value { return s }
        return secret
    }
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

    /// The labels that select the pods: extc's own, or those of an install being adopted.
    var selector: [(String, String)] {
        server.selector.isEmpty ? [("app.kubernetes.io/name", base), ("app.kubernetes.io/instance", base)]
            : server.selector.map { ($0.key.value, $0.value.value) }
    }

    /// Every object's labels. They always carry `instance`, which the cross-object checks group by.
    var labels: [(String, String)] {
        [("app.kubernetes.io/name", base), ("app.kubernetes.io/instance", base), ("app.kubernetes.io/managed-by", "extc")]
            + server.labels.map { ($0.key.value, $0.value.value) }
    }

    /// The pod template's labels: the selector, then every object's labels and `pod { labels }`,
    /// each key once (the selector's value wins, so the pods always match it).
    var podLabels: [(String, String)] {
        var seen = Set<String>()
        return (selector + labels + server.pod.labels.map { ($0.key.value, $0.value.value) }).filter { seen.insert($0.0).inserted }
    }

    /// The DNS names the serving certificate covers.
    var dnsNames: [String] { server.servingDNSNames }
}
