import ExtcSyntax

// The workload half of the IR: how the server's container and pod are run. Every field has a
// default that reproduces what extc emitted before the field existed.

/// `env { NAME ... }`: a literal, a pod field (downward API), or a key of a Secret or ConfigMap.
public enum EnvSource: Sendable, Equatable {
    case value(String)
    /// `NAME field metadata.name`.
    case field(String)
    /// `NAME secret SECRET KEY`.
    case secret(name: String, key: String)
    /// `NAME config-map CONFIGMAP KEY`.
    case configMap(name: String, key: String)
}

public struct EnvVar: Sendable {
    public let name: Located<String>
    public let source: Located<EnvSource>
}

/// `ports { NAME CONTAINER-PORT [SERVICE-PORT] }`: a port besides the secure one, on the container
/// and on the Service.
public struct ExtraPort: Sendable {
    public let name: Located<String>
    public let containerPort: Located<Int>
    public let servicePort: Located<Int>
}

/// `volume NAME { ... }`: what is mounted where.
public struct Volume: Sendable {
    public enum Source: Sendable, Equatable {
        case emptyDir
        case configMap(String)
        case secret(String)
        /// A ConfigMap extc generates from files beside the spec (paths relative to it); its name
        /// carries a hash of the content, so a change rolls the pods.
        case files([String])
    }

    public let name: Located<String>
    public let source: Located<Source>
    public let mountPath: Located<String>
    public let readOnly: Bool
}

public struct Toleration: Sendable {
    public let key: String
    /// `Exists` or `Equal`.
    public let `operator`: String
    public let value: String?
    public let effect: String?
    public let span: Span
}

/// The pod's identity: extc's fixed non-root UID/GID (the default), a given one, or none, left to
/// the platform (OpenShift's restricted SCCs assign one per namespace).
public enum PodIdentity: Sendable, Equatable {
    case fixed(uid: Int, gid: Int)
    case platform

    /// extc's default: a non-root UID and GID (distroless' `nonroot`), also the group that may
    /// read the mounted keys.
    public static let standard = PodIdentity.fixed(uid: 65532, gid: 65532)
}

/// `pod { ... }`: pod-level settings.
public struct PodSettings: Sendable {
    public let annotations: [KeyValue]
    public let labels: [KeyValue]
    public let priorityClass: Located<String>?
    public let nodeSelector: [KeyValue]
    public let tolerations: [Toleration]
    public let hostNetwork: Bool
    public let identity: Located<PodIdentity>
    /// Spread replicas across nodes (`topologySpreadConstraints`, soft). Default: on from 2 replicas.
    public let spread: Bool
    /// `RollingUpdate` maxSurge / maxUnavailable, as written (`25%`, `1`); nil: Kubernetes' default.
    public let maxSurge: Located<String>?
    public let maxUnavailable: Located<String>?
}

/// `serving { ... }`: how the server takes its port and certificate, and how it is probed. The
/// defaults are k8s.io/apiserver's flags and health paths.
public struct ServingDialect: Sendable {
    public let portFlag: Located<String>
    public let certFlag: Located<String>
    public let keyFlag: Located<String>
    /// `cert-dir PATH [CERT KEY] [FLAG | none]`: mount the serving Secret at PATH, its files named
    /// CERT and KEY, and pass `FLAG=PATH` (`--cert-dir`; none with `none`) instead of the cert and
    /// key flags.
    public let certDir: CertDir?
    public let readiness: Located<String>
    public let liveness: Located<String>
    /// nil: no startupProbe.
    public let startup: Located<String>?
    public let initialDelay: Located<Int>?
    public let period: Located<Int>?
    public let failureThreshold: Located<Int>?
    /// Each probe's `timeoutSeconds`; nil: Kubernetes' (1 s). With extc's etcd it defaults to 5 s,
    /// above the 2 s k8s.io/apiserver gives its etcd check in `/livez` and `/readyz`.
    public let timeout: Located<Int>?

    /// The flags extc passes itself: the port flag, and the cert and key flags or the cert-dir flag.
    public var managedFlags: [String] {
        guard let d = certDir else { return [portFlag.value, certFlag.value, keyFlag.value] }
        return [portFlag.value] + (d.flag.map { [$0] } ?? [])
    }

    public struct CertDir: Sendable {
        public let path: Located<String>
        public let certFile: String
        public let keyFile: String
        /// The flag that names the directory; nil when the server only reads fixed paths.
        public let flag: String?
    }
}
