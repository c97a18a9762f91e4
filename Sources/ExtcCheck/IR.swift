import ExtcSyntax

// The typed IR. Every value here has been validated by the checker; every value keeps the span it
// came from (defaults point at the `apiserver` entry that got them), so later stages can point
// their diagnostics at the spec line responsible.

/// A checked build: every API server of every input file, sorted by name (names are unique).
public struct Program: Sendable {
    public let servers: [APIServer]
    /// The servers that read files besides their spec (`APIServer.readsFiles`), in program order.
    public let readers: [APIServer]

    public init(servers: [APIServer]) { self.init(ordered: Self.order(servers)) }

    /// Servers already in program order (`order`).
    init(ordered servers: [APIServer]) { (self.servers, readers) = (servers, servers.filter(\.readsFiles)) }

    /// `readers`: those of `servers` that read files, in program order (a watch's index knows them).
    init(ordered servers: [APIServer], readers: [APIServer]) { (self.servers, self.readers) = (servers, readers) }

    /// Program order: by name (names are unique in a program).
    static func order(_ servers: [APIServer]) -> [APIServer] { servers.sorted { $0.name.value < $1.name.value } }
}

/// A class, not a struct: the IR is immutable once checked, and each server is passed, kept and
/// sorted many times per build (a watch keeps a thousand), so a copy is one reference, not one
/// per field.
public final class APIServer: Sendable {
    public let name: Located<String>
    /// The `apiserver NAME` head: where defaults and whole-server findings point.
    public let span: Span
    /// The API groups served, each with its versions and resources; one for the shorthand form.
    public let groups: [ServedGroup]
    public let namespace: Located<String>
    /// False for namespaces that already exist (`namespace NAME existing`, or a built-in one).
    public let createNamespace: Bool
    public let service: Located<String>
    public let port: Located<Int>
    public let image: Located<ImageReference>
    public let pullPolicy: Located<String>
    public let replicas: Located<Int>
    /// The container's command; empty: the image's entrypoint.
    public let command: [Located<String>]
    public let args: [Located<String>]
    public let env: [EnvVar]
    public let ports: [ExtraPort]
    public let volumes: [Volume]
    public let pod: PodSettings
    public let serving: ServingDialect
    public let requests: [KeyValue]
    public let limits: [KeyValue]
    public let rules: [PolicyRule]
    /// Names of the aggregated user roles; nil: `NAME:view` and `NAME:edit`.
    public let userRoles: UserRoleNames
    /// Names of the server's own RBAC objects; nil fields: extc's (`NAME:apiserver` and so on).
    public let rbacNames: RBACNames
    public let certs: CertSettings
    public let labels: [KeyValue]
    public let annotations: [KeyValue]
    /// The Kubernetes minor version of the server's k8s.io/apiserver; picks the default `allow` rules.
    public let library: Located<LibraryVersion>
    /// The etcd extc runs for the server; nil when it keeps no state or brings its own etcd.
    public let storage: Storage?
    /// Selector labels of an install being adopted; empty: extc's own (`app.kubernetes.io/name`,
    /// `instance`). Deployment selectors are immutable, so adopting needs the old ones.
    public let selector: [KeyValue]
    /// The ServiceAccount the server runs as; `create` false for one that already exists.
    public let serviceAccount: Located<String>
    public let createServiceAccount: Bool
    /// Warnings the spec acknowledges for this server (`acknowledge W0003`): not reported.
    public let acknowledged: [Located<DiagnosticCode>]

    public init(name: Located<String>, span: Span, groups: [ServedGroup], namespace: Located<String>,
                createNamespace: Bool, service: Located<String>, port: Located<Int>, image: Located<ImageReference>,
                pullPolicy: Located<String>, replicas: Located<Int>, command: [Located<String>], args: [Located<String>],
                env: [EnvVar], ports: [ExtraPort], volumes: [Volume], pod: PodSettings, serving: ServingDialect,
                requests: [KeyValue], limits: [KeyValue], rules: [PolicyRule], userRoles: UserRoleNames,
                rbacNames: RBACNames, certs: CertSettings, labels: [KeyValue], annotations: [KeyValue],
                library: Located<LibraryVersion>, storage: Storage?, selector: [KeyValue], serviceAccount: Located<String>,
                createServiceAccount: Bool, acknowledged: [Located<DiagnosticCode>]) {
        self.name = name; self.span = span; self.groups = groups; self.namespace = namespace
        self.createNamespace = createNamespace; self.service = service; self.port = port; self.image = image
        self.pullPolicy = pullPolicy; self.replicas = replicas; self.command = command; self.args = args; self.env = env
        self.ports = ports; self.volumes = volumes; self.pod = pod; self.serving = serving; self.requests = requests
        self.limits = limits; self.rules = rules; self.userRoles = userRoles; self.rbacNames = rbacNames
        self.certs = certs; self.labels = labels; self.annotations = annotations; self.library = library
        self.storage = storage; self.selector = selector; self.serviceAccount = serviceAccount
        self.createServiceAccount = createServiceAccount; self.acknowledged = acknowledged
    }

    /// The in-cluster DNS name the serving certificate is issued for.
    public var serviceHost: String { "\(service.value).\(namespace.value).svc" }

    /// The first group: what a single-group spec serves; names etcd's default prefix.
    public var group: Located<String> { groups[0].name }
}

/// One API group a server serves: `group G` with the server's `versions` and `resource`s, or
/// `group G { ... }` with its own.
public struct ServedGroup: Sendable {
    public let name: Located<String>
    public let versions: [ServedVersion]
    public let resources: [ServedResource]
    public let groupPriorityMinimum: Located<Int>
}

public struct ServedVersion: Sendable {
    public let name: Located<String>
    /// The APIService's versionPriority.
    public let priority: Located<Int>
}

/// `rbac-names { role NAME; auth-delegator NAME; auth-reader NAME }`: the names an install being
/// adopted gave its RBAC objects, so that `kubectl apply` replaces them instead of leaving them
/// beside extc's. A binding's roleRef is immutable; these names keep each one's roleRef as it was.
public struct RBACNames: Sendable {
    /// The server's ClusterRole and the ClusterRoleBinding that grants it (one name, as upstream
    /// projects write them).
    public let role: Located<String>?
    /// The ClusterRoleBinding to `system:auth-delegator`.
    public let authDelegator: Located<String>?
    /// The RoleBinding in kube-system to `extension-apiserver-authentication-reader`.
    public let authReader: Located<String>?

    public static let none = RBACNames(role: nil, authDelegator: nil, authReader: nil)
}

/// `user-roles { view NAME; edit NAME }`: the aggregated ClusterRoles' names.
public struct UserRoleNames: Sendable {
    public let view: Located<String>?
    public let edit: Located<String>?
}

/// `library 1.36`: a Kubernetes minor version (k8s.io/apiserver v0.36.x).
public struct LibraryVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let minor: Int

    public init(minor: Int) { self.minor = minor }

    public var description: String { "1.\(minor)" }

    public static func < (a: LibraryVersion, b: LibraryVersion) -> Bool { a.minor < b.minor }
}

/// `storage sidecar|cluster { ... }`: an etcd made for the server, with mutual TLS throughout.
public struct Storage: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// One etcd member in the server's pod, on 127.0.0.1, data in an emptyDir.
        case sidecar
        /// A StatefulSet of `members` etcd pods with persistent volumes, beside the Deployment.
        case cluster
    }

    public let mode: Located<Mode>
    /// 1 for a sidecar; 1, 3 or 5 for a cluster.
    public let members: Located<Int>
    /// Each member's PersistentVolumeClaim size (cluster).
    public let size: Located<String>
    /// nil: the cluster's default StorageClass.
    public let storageClass: Located<String>?
    public let image: Located<ImageReference>
    /// `--etcd-prefix`: where the server's objects live in etcd.
    public let prefix: Located<String>
    public let requests: [KeyValue]
    public let limits: [KeyValue]
}

public enum Scope: String, Sendable {
    case namespaced = "Namespaced"
    case cluster = "Cluster"
}

public struct ServedResource: Sendable {
    public let name: Located<String>
    public let scope: Scope
    /// Deduplicated, in the order written.
    public let verbs: [Located<String>]
}

/// One RBAC rule for the server's own ServiceAccount.
public struct PolicyRule: Sendable, Equatable {
    public let apiGroups: [String]
    public let resources: [String]
    public let verbs: [String]
    public let span: Span
}

public struct KeyValue: Sendable {
    public let key: Located<String>
    public let value: Located<String>
}

/// `[registry[:port]/]path[:tag][@digest]`, parsed.
public struct ImageReference: Sendable, Equatable {
    public let raw: String
    public let repository: String
    public let tag: String?
    public let digest: String?
}

public enum KeyAlgorithm: String, Sendable, CaseIterable {
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"

    public var isRSA: Bool { rawValue.hasPrefix("rsa") }
}

public enum CASource: Sendable, Equatable {
    /// extc makes a CA and keeps it in the state directory.
    case generated
    /// A CA the user has: PEM files, relative to the spec's directory.
    case files(cert: String, key: String)
    /// cert-manager makes and rotates everything in the cluster.
    case certManager
    /// Something else owns the CA and the serving Secret (an operator): extc mounts the Secret it
    /// names and emits the APIServices without caBundle, so it never fights over the field.
    case external(secret: String)
    /// OpenShift's service-ca operator signs a serving Secret for the Service and injects the
    /// caBundle into each APIService.
    case serviceCA

    public var name: String {
        switch self {
        case .generated: return "generated"
        case .files: return "files"
        case .certManager: return "cert-manager"
        case .external: return "external"
        case .serviceCA: return "service-ca"
        }
    }

    /// extc makes (and keeps in the state directory) the serving key material.
    public var isLocal: Bool {
        switch self {
        case .generated, .files: return true
        case .certManager, .external, .serviceCA: return false
        }
    }
}

public struct CertSettings: Sendable {
    public let key: Located<KeyAlgorithm>
    /// Seconds.
    public let validity: Located<Int>
    public let ca: Located<CASource>
    /// Seconds; for a generated (or cert-manager) CA.
    public let caValidity: Located<Int>
    public let clusterDomain: Located<String>
    /// Seconds before notAfter at which a rebuild renews.
    public let renewBefore: Located<Int>
    /// The serving certificate's extended key usage: server only, or server and client (for a
    /// server that also dials a peer with it, as KEDA's does).
    public let serverAndClient: Bool
}

/// The names of the RBAC objects a server makes, derived here once for the checker (which reports
/// two objects of one name) and for lowering (which makes them). Each keeps the span that chose it.
extension APIServer {
    public var roleName: Located<String> { rbacNames.role ?? Located("\(name.value):apiserver", span) }
    public var authDelegatorName: Located<String> { rbacNames.authDelegator ?? Located("\(name.value):system:auth-delegator", span) }
    public var authReaderName: Located<String> { rbacNames.authReader ?? Located("\(name.value):extension-apiserver-authentication-reader", span) }
    public var viewRoleName: Located<String> { userRoles.view ?? Located("\(name.value):view", span) }
    public var editRoleName: Located<String> { userRoles.edit ?? Located("\(name.value):edit", span) }

    /// Every RBAC object the server may make, as `Kind name` (a RoleBinding's name after its
    /// namespace: `RoleBinding kube-system/NAME`),
    /// in a fixed order. Two servers, or two roles of one server, must not share one.
    /// A default name's span is the server's (`span`).
    public var rbacObjects: [(key: String, name: Located<String>)] {
        [("ClusterRole", roleName), ("ClusterRole", viewRoleName), ("ClusterRole", editRoleName),
         ("ClusterRoleBinding", roleName), ("ClusterRoleBinding", authDelegatorName),
         ("RoleBinding kube-system/", authReaderName)].map { kind, name in
            (kind.hasSuffix("/") ? "\(kind)\(name.value)" : "\(kind) \(name.value)", name)
        }
    }
}

extension APIServer {
    /// Reads files besides its spec: a CA from files (`ca files`) or a volume's (`volume { files }`).
    public var readsFiles: Bool {
        if case .files = certs.ca.value { return true }
        return volumes.contains { if case .files = $0.source.value { true } else { false } }
    }
}
