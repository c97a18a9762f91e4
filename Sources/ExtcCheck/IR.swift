import ExtcSyntax

// The typed IR. Every value here has been validated by the checker; every value keeps the span it
// came from (defaults point at the `apiserver` entry that got them), so later stages can point
// their diagnostics at the spec line responsible.

/// A checked build: every API server of every input file, sorted by name (names are unique).
public struct Program: Sendable {
    public let servers: [APIServer]

    public init(servers: [APIServer]) { self.servers = servers.sorted { $0.name.value < $1.name.value } }
}

public struct APIServer: Sendable {
    public let name: Located<String>
    /// The `apiserver NAME` head: where defaults and whole-server findings point.
    public let span: Span
    public let group: Located<String>
    public let versions: [Located<String>]
    public let namespace: Located<String>
    /// False for namespaces that already exist (`namespace NAME existing`, or a built-in one).
    public let createNamespace: Bool
    public let service: Located<String>
    public let port: Located<Int>
    public let image: Located<ImageReference>
    public let pullPolicy: Located<String>
    public let replicas: Located<Int>
    public let args: [Located<String>]
    public let env: [KeyValue]
    public let requests: [KeyValue]
    public let limits: [KeyValue]
    public let resources: [ServedResource]
    public let rules: [PolicyRule]
    public let groupPriorityMinimum: Located<Int>
    public let versionPriority: Located<Int>
    public let certs: CertSettings
    public let labels: [KeyValue]
    public let annotations: [KeyValue]
    /// The Kubernetes minor version of the server's k8s.io/apiserver; picks the default `allow` rules.
    public let library: Located<LibraryVersion>
    /// The etcd extc runs for the server; nil when it keeps no state or brings its own etcd.
    public let storage: Storage?

    /// The in-cluster DNS name the serving certificate is issued for.
    public var serviceHost: String { "\(service.value).\(namespace.value).svc" }
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

    public var name: String {
        switch self {
        case .generated: return "generated"
        case .files: return "files"
        case .certManager: return "cert-manager"
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
}
