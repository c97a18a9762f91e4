// What Kubernetes itself serves, and what well-known extension servers claim.

public enum KnownAPIs {
    /// API groups with a dot that kube-apiserver serves itself (groups without a dot are E0113).
    public static let builtinGroups: [String] = [
        "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
        "apidiscovery.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io",
        "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "rbac.authorization.k8s.io",
        "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
    ]

    /// Groups served by metrics-server and the metrics adapters.
    public static let wellKnownGroups: [String] = [
        "metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io",
    ]

    /// The versions k8s.io/metrics defines for each of `wellKnownGroups` (Kubernetes 1.36:
    /// staging/src/k8s.io/metrics/pkg/apis/*/); their servers serve exactly these (W0011).
    public static func definedVersions(of group: String) -> [String]? {
        switch group {
        case "metrics.k8s.io": ["v1alpha1", "v1beta1"]
        case "custom.metrics.k8s.io": ["v1beta1", "v1beta2"]
        case "external.metrics.k8s.io": ["v1beta1"]
        default: nil
        }
    }

    /// Verbs a served resource may grant to users.
    public static let resourceVerbs: [String] = [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*",
    ]

    /// The read-only verbs, which go to the `view` role.
    public static let readVerbs: [String] = ["get", "list", "watch"]

    /// Verbs an `allow` rule may use: resource verbs and RBAC's special ones.
    public static let ruleVerbs: [String] = resourceVerbs + ["use", "bind", "escalate", "impersonate", "approve", "sign"]

    /// Namespaces every cluster has; extc never emits them.
    public static let builtinNamespaces: [String] = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Flags extc sets when it makes the server's etcd (`storage`); E0125 then.
    public static let storageFlags: [String] = [
        "--etcd-servers", "--etcd-cafile", "--etcd-certfile", "--etcd-keyfile", "--etcd-prefix",
    ]
    /// Flags that switch off delegated authentication (E0124). The flags extc sets itself (E0125)
    /// are the serving dialect's (`ServingDialect.managedFlags`) and, with storage, `storageFlags`.
    public static let delegatedAuthOffFlags: [String] = [
        "--authentication-skip-lookup", "--authentication-tolerate-lookup-failure",
    ]
}
