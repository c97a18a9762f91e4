import ExtcCheck

/// One certificate authority a server needs: the serving CA (its certificate is the APIServices'
/// caBundle) or the etcd CA (trusted only by etcd and the server's etcd client). They are separate
/// so that a key that may sign serving certificates can never mint an etcd client identity.
public enum CAKind: String, Sendable, CaseIterable {
    case serving
    case etcd

    /// The file stem in the state directory: `ca.crt`/`ca.key`, `etcd-ca.crt`/`etcd-ca.key`.
    var stem: String { self == .serving ? "ca" : "etcd-ca" }
    var label: String { self == .serving ? "CA" : "etcd CA" }
}

/// A leaf certificate to issue or reuse: its subject, names and usage.
public struct LeafRequest: Sendable, Equatable {
    /// The file stem in the state directory (`tls`, `etcd-server`, ...).
    public let stem: String
    /// What the note and `extc certs` call it.
    public let role: String
    public let commonName: String
    public let dnsNames: [String]
    public let ipAddresses: [String]
    public let usage: CertificateUsage
    public let issuer: CAKind

    /// The serving certificate: for `S.NS.svc` and its other forms, serverAuth.
    public static func serving(_ server: APIServer) -> LeafRequest {
        LeafRequest(stem: "tls", role: "serving", commonName: server.serviceHost, dnsNames: server.servingDNSNames,
                    ipAddresses: [], usage: server.certs.serverAndClient ? .serverAndClient : .serverOnly, issuer: .serving)
    }

    /// etcd's three certificates. The server and peer certificates carry both usages: etcd's
    /// gRPC gateway dials its own client port with the server certificate, and a member presents
    /// the peer certificate both when it serves and when it dials another member.
    public static func etcd(_ t: EtcdTopology) -> [LeafRequest] {
        [LeafRequest(stem: "etcd-server", role: "etcd server", commonName: t.serverCommonName, dnsNames: t.serverNames,
                     ipAddresses: t.ipAddresses, usage: .serverAndClient, issuer: .etcd),
         LeafRequest(stem: "etcd-peer", role: "etcd peer", commonName: t.peerCommonName, dnsNames: t.peerNames,
                     ipAddresses: t.ipAddresses, usage: .serverAndClient, issuer: .etcd),
         LeafRequest(stem: "etcd-client", role: "etcd client", commonName: t.clientCommonName, dnsNames: [],
                     ipAddresses: [], usage: .clientOnly, issuer: .etcd)]
    }

    /// Every leaf a server with local material needs, serving first.
    public static func all(_ server: APIServer) -> [LeafRequest] {
        [serving(server)] + (server.etcd.map(etcd) ?? [])
    }
}
