import ExtcCheck
import ExtcSyntax

/// One generated Kubernetes object.
public struct KubeObject: Sendable {
    public let kind: String
    public let apiVersion: String
    public let name: String
    /// nil for cluster-scoped objects.
    public let namespace: String?
    /// The whole object, starting with apiVersion, kind, metadata.
    public let body: Node
    /// The spec entry responsible for it.
    public let origin: Span
    /// Holds private key material (the TLS Secret).
    public let sensitive: Bool

    public init(kind: String, apiVersion: String, name: String, namespace: String?, body: Node, origin: Span, sensitive: Bool) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.name = name
        self.namespace = namespace
        self.body = body
        self.origin = origin
        self.sensitive = sensitive
    }

    /// Where the kind goes in apply order: namespaces and identities first, APIServices last.
    public var rank: Int { KubeObject.applyOrder.firstIndex(of: kind) ?? KubeObject.applyOrder.count }

    public static let applyOrder = [
        "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Secret",
        "Issuer", "Certificate", "Service", "Deployment", "PodDisruptionBudget", "APIService",
    ]

    /// `Kind namespace/name`, for messages.
    public var reference: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
}

/// The certificate material the TLS Secret and the APIServices carry, from the cert backend.
public enum ServingTLS: Sendable {
    /// PEM text. The key is PKCS#8.
    case inline(caPEM: String, certPEM: String, keyPEM: String)
    /// cert-manager issues everything in the cluster.
    case certManager
}
