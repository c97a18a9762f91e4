// Names derived from a checked server that two later stages need: the lowering (objects, args,
// cert-manager Certificates) and the cert backend (the names certificates are issued for). They are
// computed here once, so a certificate and the objects that reach it by name cannot drift apart.

extension APIServer {
    /// The DNS names the serving certificate covers: `S`, `S.NS`, `S.NS.svc`, `S.NS.svc.<domain>`.
    public var servingDNSNames: [String] { serviceForms(service.value) }

    /// The etcd extc runs for this server, if any.
    public var etcd: EtcdTopology? { storage.map { EtcdTopology(self, $0) } }

    /// The four in-cluster forms of a Service's name.
    func serviceForms(_ service: String) -> [String] {
        let ns = namespace.value
        return [service, "\(service).\(ns)", "\(service).\(ns).svc", "\(service).\(ns).svc.\(certs.clusterDomain.value)"]
    }
}

/// Where a server's etcd lives and what its certificates must name.
///
/// Invariant: every URL the etcd flags and the server's `--etcd-servers` name (built from
/// `memberHost`, `initialCluster` and `clientURL`) names a host that `serverNames` (client side)
/// or `peerNames` (peer side) covers, so mutual TLS verifies with the generated certificates.
public struct EtcdTopology: Sendable {
    public static let clientPort = 2379
    public static let peerPort = 2380
    /// Plain HTTP, `/health` and `/metrics` only: what the kubelet's probes use.
    public static let metricsPort = 2381
    /// The longest apiserver name `storage` allows: `<name>-etcd-client` is a Service name, a
    /// StatefulSet name must leave room for the pods' `controller-revision-hash` label
    /// (`<name>-etcd-<10>` within 63), and the etcd CA's common name must fit in 64.
    public static let maxServerName = 45

    public let mode: Storage.Mode
    public let namespace: String
    /// The StatefulSet, and the headless Service that gives its members stable DNS names.
    public let statefulSet: String
    public let peerService: String
    /// The ClusterIP Service the API server connects through (cluster mode).
    public let clientService: String
    /// The etcd member names: pod names in cluster mode, one fixed name for a sidecar.
    public let members: [String]
    /// Client and peer certificate subjects.
    public let clientCommonName: String
    public let serverCommonName: String
    public let peerCommonName: String
    /// DNS names and IP addresses of the etcd server certificate (client port).
    public let serverNames: [String]
    /// DNS names and IP addresses of the peer certificate (peer port, both directions).
    public let peerNames: [String]
    public let ipAddresses: [String]

    init(_ server: APIServer, _ storage: Storage) {
        let base = server.name.value
        mode = storage.mode.value
        namespace = server.namespace.value
        statefulSet = "\(base)-etcd"
        peerService = "\(base)-etcd"
        clientService = "\(base)-etcd-client"
        clientCommonName = "\(base)-etcd-client"
        serverCommonName = "\(base)-etcd-server"
        peerCommonName = "\(base)-etcd-peer"
        ipAddresses = ["127.0.0.1"]
        switch storage.mode.value {
        case .sidecar:
            members = ["\(base)-etcd"]
            serverNames = ["localhost"]
            peerNames = ["localhost"]
        case .cluster:
            let set = statefulSet
            members = (0..<storage.members.value).map { "\(set)-\($0)" }
            let domain = server.certs.clusterDomain.value
            let ns = namespace, peers = peerService
            let memberHosts = members.flatMap { ["\($0).\(peers).\(ns).svc", "\($0).\(peers).\(ns).svc.\(domain)"] }
            serverNames = server.serviceForms(clientService) + memberHosts + ["localhost"]
            peerNames = memberHosts + ["localhost"]
        }
    }

    /// The host a member advertises (cluster mode: its stable DNS name under the headless Service).
    public func memberHost(_ member: String) -> String {
        mode == .sidecar ? "127.0.0.1" : "\(member).\(peerService).\(namespace).svc"
    }

    /// `--etcd-servers` for the API server.
    public var clientURL: String {
        mode == .sidecar ? "https://127.0.0.1:\(Self.clientPort)" : "https://\(clientService).\(namespace).svc:\(Self.clientPort)"
    }

    /// `--initial-cluster`: every member's name and peer URL.
    public var initialCluster: String {
        members.map { "\($0)=https://\(memberHost($0)):\(Self.peerPort)" }.joined(separator: ",")
    }
}
