import ExtcCheck
import ExtcSyntax

/// One generated Kubernetes object.
/// A class, not a struct: objects are immutable once made, and a build orders, filters and keeps
/// them (a watch, per server, between builds), so a copy is one reference, not one per field.
public final class KubeObject: Sendable {
    public let kind: String
    public let apiVersion: String
    public let name: String
    /// nil for cluster-scoped objects.
    public let namespace: String?
    /// The whole object, starting with apiVersion, kind, metadata.
    public let body: Node
    /// The spec entry responsible for it.
    public let origin: Span
    /// Holds private key material (the serving Secret, and the etcd Secrets with `storage`).
    public let sensitive: Bool
    /// Where the kind goes in apply order: namespaces and identities first, APIServices last;
    /// unknown kinds after every known one.
    public let rank: Int

    public init(kind: String, apiVersion: String, name: String, namespace: String?, body: Node, origin: Span, sensitive: Bool) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.name = name
        self.namespace = namespace
        self.body = body
        self.origin = origin
        self.sensitive = sensitive
        self.rank = KubeObject.applyOrder.firstIndex(of: kind) ?? KubeObject.applyOrder.count
    }

    public static let applyOrder = [
        "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Secret", "ConfigMap",
        "Issuer", "Certificate", "Service", "NetworkPolicy", "StatefulSet", "Deployment", "PodDisruptionBudget",
        "APIService",
    ]

    /// `Kind namespace/name`, for messages.
    public var reference: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
}

/// The key material one server's objects carry, from the cert backend (PEM text; keys PKCS#8).
/// `serving` is present exactly when extc holds the serving CA (`ca generated` or `ca files`);
/// `etcd` when the server has `storage` and cert-manager does not issue for it.
public struct ServerTLS: Sendable, Equatable {
    public let serving: ServingPEM?
    public let etcd: EtcdPEM?

    public init(serving: ServingPEM?, etcd: EtcdPEM?) {
        self.serving = serving
        self.etcd = etcd
    }

    /// Nothing from the backend (cert-manager, or a CA owned elsewhere without storage).
    public static let none = ServerTLS(serving: nil, etcd: nil)
}

public struct ServingPEM: Sendable, Equatable {
    /// The CA that signed the certificate (the Secret's `ca.crt`).
    public let caPEM: String
    public let certPEM: String
    public let keyPEM: String
    /// What the APIServices' caBundle holds: `caPEM`, plus the other CA during a rotation.
    public let bundlePEM: String

    public init(caPEM: String, certPEM: String, keyPEM: String, bundlePEM: String? = nil) {
        self.caPEM = caPEM
        self.certPEM = certPEM
        self.keyPEM = keyPEM
        self.bundlePEM = bundlePEM ?? caPEM
    }
}

/// The etcd CA's certificate and etcd's server, peer and client pairs.
public struct EtcdPEM: Sendable, Equatable {
    public let caPEM: String
    public let server: (cert: String, key: String)
    public let peer: (cert: String, key: String)
    public let client: (cert: String, key: String)

    public init(caPEM: String, server: (cert: String, key: String), peer: (cert: String, key: String),
                client: (cert: String, key: String)) {
        self.caPEM = caPEM
        self.server = server
        self.peer = peer
        self.client = client
    }

    public static func == (a: EtcdPEM, b: EtcdPEM) -> Bool {
        a.caPEM == b.caPEM && a.server == b.server && a.peer == b.peer && a.client == b.client
    }
}
