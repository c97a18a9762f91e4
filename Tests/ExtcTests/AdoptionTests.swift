import ExtcDriver
import ExtcLower
import Testing

/// `kubectl apply` of a sample's output over an install made from its project's manifests, as a
/// user upgrading does it (no delete first). No cluster runs here, so the test applies the rules
/// that decide whether such an apply succeeds and what it leaves behind:
///
/// - an object of ours with an installed object's kind, namespace and name patches it; the others
///   are created; an installed object with no counterpart stays, and must be named in `left`;
/// - fields that cannot change once created must agree: a Deployment's `spec.selector`, a
///   binding's `roleRef`, a Secret's `type`; and ours must not set a Service's `clusterIP`;
/// - fields that validation forbids together: a PodDisruptionBudget sets one of `minAvailable`
///   and `maxUnavailable` (apply's three-way merge drops the installed one, which is in its
///   last-applied configuration); an APIService with a `caBundle` says `insecureSkipTLSVerify:
///   false` outright, so even an object without that configuration is corrected.
///
/// The inventories were read from the files named in `source` and written down here.
struct AdoptionTests {
    struct Installed: Sendable {
        let kind: String, namespace: String?, name: String
        /// `selector` (k=v,... sorted), `roleRef` (Kind/name) or `type`, when the kind has one.
        let fixed: String?

        init(_ kind: String, _ namespace: String?, _ name: String, _ fixed: String? = nil) {
            (self.kind, self.namespace, self.name, self.fixed) = (kind, namespace, name, fixed)
        }
        var key: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
    }

    struct Install: Sendable, CustomTestStringConvertible {
        let sample: String
        let source: String
        let objects: [Installed]
        /// Installed objects the apply leaves in place, each with why that is harmless.
        let left: [String: String]
        var testDescription: String { sample }
    }

    static let installs: [Install] = [
        Install(sample: "metrics-server", source: "kubernetes-sigs/metrics-server manifests/overlays/release-ha (base rbac, service, deployment, apiservice; components/high-availability pdb)",
                objects: [
                    Installed("ServiceAccount", "kube-system", "metrics-server"),
                    Installed("ClusterRole", nil, "system:aggregated-metrics-reader"),
                    Installed("ClusterRole", nil, "system:metrics-server"),
                    Installed("RoleBinding", "kube-system", "metrics-server-auth-reader", "Role/extension-apiserver-authentication-reader"),
                    Installed("ClusterRoleBinding", nil, "metrics-server:system:auth-delegator", "ClusterRole/system:auth-delegator"),
                    Installed("ClusterRoleBinding", nil, "system:metrics-server", "ClusterRole/system:metrics-server"),
                    Installed("Service", "kube-system", "metrics-server"),
                    Installed("Deployment", "kube-system", "metrics-server", "k8s-app=metrics-server"),
                    Installed("PodDisruptionBudget", "kube-system", "metrics-server"),
                    Installed("APIService", nil, "v1beta1.metrics.k8s.io"),
                ],
                left: [:]),
        Install(sample: "prometheus-adapter", source: "kubernetes-sigs/prometheus-adapter deploy/manifests (the resource-metrics set, v0.12.0)",
                objects: [
                    Installed("ServiceAccount", "monitoring", "prometheus-adapter"),
                    Installed("ClusterRole", nil, "prometheus-adapter"),
                    Installed("ClusterRole", nil, "system:aggregated-metrics-reader"),
                    Installed("ClusterRole", nil, "resource-metrics-server-resources"),
                    Installed("ClusterRoleBinding", nil, "prometheus-adapter", "ClusterRole/prometheus-adapter"),
                    Installed("ClusterRoleBinding", nil, "resource-metrics:system:auth-delegator", "ClusterRole/system:auth-delegator"),
                    Installed("RoleBinding", "kube-system", "resource-metrics-auth-reader", "Role/extension-apiserver-authentication-reader"),
                    Installed("ConfigMap", "monitoring", "adapter-config"),
                    Installed("Service", "monitoring", "prometheus-adapter"),
                    Installed("NetworkPolicy", "monitoring", "prometheus-adapter"),
                    Installed("Deployment", "monitoring", "prometheus-adapter",
                              "app.kubernetes.io/component=metrics-adapter,app.kubernetes.io/name=prometheus-adapter"),
                    Installed("PodDisruptionBudget", "monitoring", "prometheus-adapter"),
                    Installed("APIService", nil, "v1beta1.metrics.k8s.io"),
                ],
                left: ["ClusterRole resource-metrics-server-resources": "bound to nobody in this set; grants what extc's aggregated view role grants",
                       "ConfigMap monitoring/adapter-config": "no longer mounted: the pods mount the hashed ConfigMap",
                       "NetworkPolicy monitoring/prometheus-adapter": "allows all ingress and egress, so it changes nothing for the new pods"]),
    ]

    @Test("kubectl apply of the sample replaces its project's install: nothing immutable changes, nothing is orphaned unnamed", arguments: installs)
    func appliesOverInstall(_ install: Install) throws {
        let built = try Fixed.build(["\(Paths.samples)/servers/\(install.sample).ext"])
        let ours = Dictionary(built.output.objects.map { (Self.key($0), $0) }) { a, _ in a }
        #expect(ours.count == built.output.objects.count, "two generated objects share a kind and name")
        for installed in install.objects {
            guard let o = ours[installed.key] else {
                #expect(install.left[installed.key] != nil, "\(installed.key) would be left beside extc's objects")
                continue
            }
            #expect(install.left[installed.key] == nil, "\(installed.key) is listed as left but is replaced")
            if let fixed = installed.fixed {
                #expect(Self.fixedField(o) == fixed, "\(installed.key): an immutable field differs")
            }
            switch o.kind {
            case "Service": #expect(o.body.at("spec.clusterIP") == nil)
            case "PodDisruptionBudget":
                #expect((o.body.at("spec.minAvailable") == nil) != (o.body.at("spec.maxUnavailable") == nil))
            case "APIService":
                #expect(o.body.at("spec.caBundle") != nil && o.body.at("spec.insecureSkipTLSVerify") == .bool(false))
            default: break
            }
        }
        #expect(Set(install.left.keys).isSubset(of: Set(install.objects.map(\.key))), "`left` names an object not installed")
    }

    /// The test's model must be able to fail: a renamed binding, or another selector, is caught.
    @Test func modelCatchesAnImmutableChange() throws {
        let built = try Fixed.build(["\(Paths.samples)/servers/metrics-server.ext"])
        let deployment = try #require(built.output.objects.first { $0.kind == "Deployment" })
        #expect(Self.fixedField(deployment) == "k8s-app=metrics-server")
        let plain = try Fixed.build(["\(Paths.samples)/minimal.ext"])
        let binding = try #require(plain.output.objects.first { $0.kind == "ClusterRoleBinding" && $0.name.hasSuffix(":apiserver") })
        #expect(Self.fixedField(binding) == "ClusterRole/\(binding.name)")
        #expect(Self.fixedField(binding) != "ClusterRole/system:metrics-server")
    }

    static func key(_ o: KubeObject) -> String { "\(o.kind) \(o.namespace.map { "\($0)/" } ?? "")\(o.name)" }

    static func fixedField(_ o: KubeObject) -> String? {
        switch o.kind {
        case "Deployment", "StatefulSet":
            return (o.body.at("spec.selector.matchLabels")?.fields ?? []).map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
        case "RoleBinding", "ClusterRoleBinding":
            return "\(o.body.at("roleRef.kind")?.stringValue ?? "")/\(o.body.at("roleRef.name")?.stringValue ?? "")"
        case "Secret": return o.body.at("type")?.stringValue
        default: return nil
        }
    }
}
