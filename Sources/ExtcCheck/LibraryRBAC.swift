// What a server built on k8s.io/apiserver reads from the cluster, by the library's version.
//
// A server made with genericoptions.NewRecommendedOptions (as kubernetes/sample-apiserver is)
// starts an informer for every admission plugin that is on by default and for API Priority and
// Fairness, and does not turn ready until each has synced. An informer that is refused by RBAC
// never syncs, so a missing rule shows only in the cluster: `not yet ready to handle request`.
// Each row below is derived from the library's code at that release; the comments cite the files
// (paths under k8s.io/apiserver). Readiness: pkg/server/config.go adds
// healthz.NewInformerSyncHealthz(SharedInformerFactory) to /readyz, and the admission plugins
// (plugin/policy/generic/plugin.go) refuse requests until their informers have synced.
//
// Not needed at any version, checked: leases (the generic server runs no identity lease
// controller), storageversions (StorageVersionAPI is off, and only kube-apiserver's handler
// chain uses it), events. The delegated-auth reads are granted by the two fixed bindings
// (system:auth-delegator; extension-apiserver-authentication-reader in kube-system).

public enum LibraryRBAC {
    /// The Kubernetes minor versions with a row (k8s.io/apiserver v0.27 to v0.36).
    public static let supported = 27...36
    public static let newest = LibraryVersion(minor: supported.upperBound)

    /// One rule: API group, resources, verbs. Informers need `list` and `watch`; `get` is added
    /// for the admission plugins, which look single objects up on a cache miss.
    public struct Rule: Sendable, Equatable {
        public let group: String
        public let resources: [String]
        public let verbs: [String]
    }

    static let read = ["get", "list", "watch"]

    /// The rules a server at `version` needs, in a fixed order: core, admission, flow control.
    public static func rules(for version: LibraryVersion) -> [Rule] {
        let v = version.minor
        precondition(supported.contains(v), "library 1.\(v) has no row; the checker admits only supported versions")
        var admission = ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]
        if v >= validatingPolicyOnByDefault { admission += ["validatingadmissionpolicies", "validatingadmissionpolicybindings"] }
        if v >= mutatingPolicyOnByDefault { admission += ["mutatingadmissionpolicies", "mutatingadmissionpolicybindings"] }
        return [
            // NamespaceLifecycle (plugin/namespace/lifecycle/admission.go): a namespace informer, every version.
            Rule(group: "", resources: ["namespaces"], verbs: read),
            Rule(group: "admissionregistration.k8s.io", resources: admission, verbs: read),
            // API Priority and Fairness (pkg/util/flowcontrol/apf_controller.go): informers on both
            // kinds, wired in by RecommendedOptions (pkg/server/options/recommended.go, and
            // feature.go from 1.31): flowcontrol v1beta3 at 1.27-1.28, v1 from 1.29 (kubernetes
            // issues 123206 and 124533). RBAC names no API version, so the rule is the same. The
            // controller also patches `flowschemas/status` when a Dangling condition is stale; a
            // refusal is logged and retried, never blocks readiness, and kube-apiserver keeps that
            // condition itself, so extc grants no write.
            Rule(group: "flowcontrol.apiserver.k8s.io", resources: ["flowschemas", "prioritylevelconfigurations"], verbs: read),
        ]
    }

    /// ValidatingAdmissionPolicy: the plugin starts its policy and binding informers only when the
    /// feature gate is on (1.27-1.29: plugin/validatingadmissionpolicy, ValidateInitialization
    /// returns early when !enabled; 1.30+: plugin/policy/generic/plugin.go, the same). The gate
    /// (pkg/features/kube_features.go) is alpha/off at 1.27, beta/off at 1.28-1.29, GA/on at 1.30.
    static let validatingPolicyOnByDefault = 30

    /// MutatingAdmissionPolicy: the plugin (plugin/policy/mutating/plugin.go, InspectFeatureGates ->
    /// SetEnabled) is registered from 1.32 but starts its informers only when the gate is on. The
    /// gate (pkg/features/kube_features.go) is alpha/off at 1.32-1.33, beta/off at 1.34-1.35 and
    /// GA/on at 1.36, where a server without these rules never turns ready.
    static let mutatingPolicyOnByDefault = 36
}
