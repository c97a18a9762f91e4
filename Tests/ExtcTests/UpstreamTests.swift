import ExtcDriver
import ExtcLower
import Foundation
import Testing

/// Each sample in samples/servers/ against the project's own manifests, object by object. The
/// upstream facts below were read from the files named in `source` and written down here (no
/// upstream file is copied). Every difference the comparison allows is named in `deliberate`.
struct UpstreamTests {
    struct Probe: Equatable, CustomStringConvertible {
        let path: String
        let initialDelay: Int?, period: Int?, failureThreshold: Int?
        var description: String { "\(path) delay \(initialDelay.map(String.init) ?? "-") period \(period.map(String.init) ?? "-") failures \(failureThreshold.map(String.init) ?? "-")" }
    }

    struct Facts: Sendable, CustomTestStringConvertible {
        let sample: String
        let source: String
        let namespace: String, serviceAccount: String, deployment: String, service: String
        let selector: [String: String]
        let command: [String]
        /// As upstream writes them, serving flags and a leading binary included.
        let args: [String]
        let securePort: Int
        /// Container ports besides the secure one, and Service ports: name -> port.
        let extraPorts: [String: Int], servicePorts: [String: Int]
        /// mountPath -> `configMap:NAME`, `generated:KEY`, `secret:NAME` or `emptyDir`; upstream's
        /// own certificate and /tmp volumes are listed under `deliberate` instead.
        let volumes: [String: String]
        let readiness: Probe?, liveness: Probe?
        let priorityClass: String?, nodeSelector: [String: String]
        let replicas: Int
        let strategy: [String: String]
        /// The server's own RBAC as `group resource verb` triples.
        let rules: Set<String>
        /// APIService name -> (groupPriorityMinimum, versionPriority).
        let apiServices: [String: [Int]]
        let podAnnotations: [String: String]
        let env: [String: String]
        let resources: [String: String]
        let deliberate: [String]

        var testDescription: String { sample }
    }

    static func triples(_ groups: [String], _ resources: [String], _ verbs: [String]) -> Set<String> {
        Set(groups.flatMap { g in resources.flatMap { r in verbs.map { "\(g) \(r) \($0)" } } })
    }

    /// Flags extc passes itself; upstream's are replaced by them (extc's certificate, not a self-signed one).
    static let servingFlags = ["--secure-port", "--cert-dir", "--tls-cert-file", "--tls-private-key-file", "--etcd-servers"]

    static let facts: [Facts] = [
        Facts(sample: "metrics-server", source: "kubernetes-sigs/metrics-server manifests/base (deployment, service, apiservice, rbac), overlays/release-ha and components/high-availability",
              namespace: "kube-system", serviceAccount: "metrics-server", deployment: "metrics-server", service: "metrics-server",
              selector: ["k8s-app": "metrics-server"], command: [],
              args: ["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                     "--kubelet-use-node-status-port", "--metric-resolution=15s"],
              securePort: 10250, extraPorts: [:], servicePorts: ["https": 443], volumes: [:],
              readiness: Probe(path: "/readyz", initialDelay: 20, period: 10, failureThreshold: 3),
              liveness: Probe(path: "/livez", initialDelay: nil, period: 10, failureThreshold: 3),
              priorityClass: "system-cluster-critical", nodeSelector: ["kubernetes.io/os": "linux"], replicas: 2,
              strategy: ["maxUnavailable": "1"],
              rules: triples([""], ["pods", "nodes", "nodes/metrics", "namespaces", "configmaps"], ["get", "list", "watch"]),
              apiServices: ["v1beta1.metrics.k8s.io": [100, 100]], podAnnotations: [:], env: [:],
              resources: ["requests.cpu": "100m", "requests.memory": "200Mi"],
              deliberate: ["TLS verification on, with a caBundle", "extc's serving certificate instead of a self-signed one in --cert-dir=/tmp",
                           "liveness also waits initial-delay (20s)", "hardening: runAsUser 65532, seccomp, no capabilities",
                           "replicas spread by a soft topology constraint, not required anti-affinity, so one node still runs both",
                           "PodDisruptionBudget maxUnavailable 1 (upstream: minAvailable 1, the same for 2 replicas)"]),
        Facts(sample: "prometheus-adapter", source: "kubernetes-sigs/prometheus-adapter deploy/manifests (v0.12.0)",
              namespace: "monitoring", serviceAccount: "prometheus-adapter", deployment: "prometheus-adapter", service: "prometheus-adapter",
              selector: ["app.kubernetes.io/component": "metrics-adapter", "app.kubernetes.io/name": "prometheus-adapter"], command: [],
              args: ["--cert-dir=/var/run/serving-cert", "--config=/etc/adapter/config.yaml", "--metrics-relist-interval=1m",
                     "--prometheus-url=https://prometheus.monitoring.svc:9090/", "--secure-port=6443",
                     "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
              securePort: 6443, extraPorts: [:], servicePorts: ["https": 443], volumes: ["/etc/adapter": "generated:config.yaml"],
              readiness: Probe(path: "/readyz", initialDelay: 30, period: 5, failureThreshold: 5),
              liveness: Probe(path: "/livez", initialDelay: 30, period: 5, failureThreshold: 5),
              priorityClass: nil, nodeSelector: ["kubernetes.io/os": "linux"], replicas: 2,
              strategy: ["maxSurge": "1", "maxUnavailable": "1"],
              rules: triples([""], ["nodes", "namespaces", "pods", "services"], ["get", "list", "watch"]),
              apiServices: ["v1beta1.metrics.k8s.io": [100, 100]], podAnnotations: [:], env: [:],
              resources: ["requests.cpu": "102m", "requests.memory": "180Mi"],
              deliberate: ["TLS verification on", "extc's serving certificate instead of a self-signed one in an emptyDir",
                           "the cipher list keeps its ECDHE suites (the CBC and RSA-kex ones are left out)",
                           "the rules ConfigMap is generated from a file, with a content hash in its name",
                           "a PodDisruptionBudget and a soft spread across nodes for the 2 replicas"]),
        Facts(sample: "custom-metrics-adapter", source: "kubernetes-sigs/custom-metrics-apiserver test-adapter-deploy/testing-adapter.yaml",
              namespace: "custom-metrics", serviceAccount: "custom-metrics-apiserver", deployment: "custom-metrics-apiserver",
              service: "custom-metrics-apiserver", selector: [:], command: [],
              args: ["/adapter", "--secure-port=6443", "--v=10"],
              securePort: 6443, extraPorts: ["http": 8080], servicePorts: ["https": 443, "http": 80], volumes: [:],
              readiness: nil, liveness: nil, priorityClass: nil, nodeSelector: [:], replicas: 1, strategy: [:],
              rules: triples([""], ["namespaces", "pods", "services"], ["get", "list"]),
              apiServices: ["v1beta1.custom.metrics.k8s.io": [100, 100], "v1beta2.custom.metrics.k8s.io": [100, 200],
                            "v1beta1.external.metrics.k8s.io": [100, 100]], podAnnotations: [:], env: [:], resources: [:],
              deliberate: ["the binary is the container's command, not its first arg", "TLS verification on",
                           "readiness and liveness probes added", "extc's selector labels (nothing to adopt: a test adapter)",
                           "readers get the metrics through roles aggregated to view, not a binding to the HPA controller"]),
        Facts(sample: "kube-metrics-adapter", source: "zalando-incubator/kube-metrics-adapter docs/ (deployment, rbac, apiservices)",
              namespace: "kube-system", serviceAccount: "custom-metrics-apiserver", deployment: "kube-metrics-adapter",
              service: "kube-metrics-adapter", selector: ["application": "kube-metrics-adapter"], command: [],
              args: ["--prometheus-server=http://prometheus.kube-system.svc.cluster.local", "--skipper-ingress-metrics",
                     "--aws-external-metrics", "--scaling-schedule"],
              securePort: 8443, extraPorts: [:], servicePorts: ["https": 443], volumes: [:],
              readiness: nil, liveness: nil, priorityClass: nil, nodeSelector: [:], replicas: 1, strategy: [:],
              rules: triples([""], ["events"], ["create", "patch"]).union(triples([""], ["pods"], ["list"]))
                .union(triples(["apps"], ["deployments", "statefulsets"], ["get"])).union(triples(["networking.k8s.io"], ["ingresses"], ["get"]))
                .union(triples(["zalando.org"], ["routegroups"], ["get"]))
                .union(triples(["autoscaling"], ["horizontalpodautoscalers"], ["get", "list", "watch"]))
                .union(triples(["zalando.org"], ["clusterscalingschedules", "scalingschedules"], ["get", "list", "watch"]))
                .union(triples(["zalando.org"], ["clusterscalingschedules/status", "scalingschedules/status"], ["update"])),
              apiServices: ["v1beta1.custom.metrics.k8s.io": [100, 100], "v1beta1.external.metrics.k8s.io": [100, 100]],
              podAnnotations: ["iam.amazonaws.com/role": "kube-aws-test-1-app-zmon"], env: ["AWS_REGION": "eu-central-1"],
              resources: ["requests.cpu": "100m", "requests.memory": "100Mi", "limits.cpu": "100m", "limits.memory": "100Mi"],
              deliberate: ["the APIServices are v1beta1, as upstream's Helm chart has them (its docs/ say v1, which k8s.io/metrics does not define: W0011)",
                           "TLS verification on", "a pinned image tag instead of latest", "readiness and liveness probes added",
                           "the server listens on 8443 as non-root (upstream's chart: 443)"]),
        Facts(sample: "ocm-proxyserver", source: "stolostron/multicloud-operators-foundation deploy/foundation/hub/ocm-proxyserver",
              namespace: "open-cluster-management", serviceAccount: "ocm-foundation-sa", deployment: "ocm-proxyserver", service: "ocm-proxyserver",
              selector: ["app": "ocm-proxyserver"], command: [],
              args: ["/proxyserver", "--secure-port=6443", "--tls-cert-file=/var/run/apiservice/tls.crt",
                     "--tls-private-key-file=/var/run/apiservice/tls.key", "--proxy-service-cafile=/var/run/clusterproxy/service-ca.crt",
                     "--proxy-service-name=cluster-proxy-addon-user", "--proxy-service-port=9092"],
              securePort: 6443, extraPorts: [:], servicePorts: ["https": 443],
              volumes: ["/var/run/clusterproxy": "configMap:openshift-service-ca.crt"],
              readiness: Probe(path: "/healthz", initialDelay: 2, period: nil, failureThreshold: nil),
              liveness: Probe(path: "/healthz", initialDelay: 2, period: 10, failureThreshold: nil),
              priorityClass: nil, nodeSelector: [:], replicas: 1, strategy: [:], rules: [],
              apiServices: ["v1.clusterview.open-cluster-management.io": [10, 20], "v1alpha1.clusterview.open-cluster-management.io": [10, 20],
                            "v1beta1.proxy.open-cluster-management.io": [10000, 20]],
              podAnnotations: [:], env: [:], resources: [:],
              deliberate: ["the binary is the container's command", "the serving Secret comes from service-ca through the Service annotation",
                           "the proxy APIService verifies TLS (upstream skips it)", "readiness also has period 10s",
                           "the server's own rules are its own ClusterRole, not the controller's shared one (not compared)"]),
        Facts(sample: "apiserver-builder-basic", source: "kubernetes-sigs/apiserver-builder-alpha example/basic/config",
              namespace: "default", serviceAccount: "basic-example", deployment: "basic-example", service: "basic-example",
              selector: ["api": "basic-example", "apiserver": "true"], command: ["./apiserver"],
              args: ["--etcd-servers=http://etcd-svc:2379", "--tls-cert-file=/apiserver.local.config/certificates/tls.crt",
                     "--tls-private-key-file=/apiserver.local.config/certificates/tls.key", "--feature-gates=APIPriorityAndFairness=false",
                     "--audit-log-path=-", "--audit-log-maxage=0", "--audit-log-maxbackup=0"],
              securePort: 8443, extraPorts: [:], servicePorts: ["https": 443], volumes: [:],
              readiness: nil, liveness: nil, priorityClass: nil, nodeSelector: [:], replicas: 1, strategy: [:], rules: [],
              apiServices: ["v1.innsmouth.k8s.io": [2000, 10], "v1.kingsport.k8s.io": [2000, 10],
                            "v1beta1.miskatonic.k8s.io": [2000, 10], "v1beta1.olympus.k8s.io": [2000, 10]],
              podAnnotations: [:], env: [:],
              resources: ["requests.cpu": "200m", "requests.memory": "200Mi", "limits.cpu": "200m", "limits.memory": "300Mi"],
              deliberate: ["its own ServiceAccount, not default/default", "etcd over mutual TLS from extc's StatefulSet, not plain HTTP",
                           "listens on 8443 as non-root", "readiness and liveness probes added",
                           "the server's rules: none upstream beyond auth; extc grants namespaces read (not compared)"]),
    ]

    @Test("each real server's sample matches its project's manifests but for the named differences", arguments: facts)
    func matchesUpstream(_ u: Facts) throws {
        #expect(!u.deliberate.isEmpty && !u.source.isEmpty)
        let built = try Fixed.build(["\(Paths.samples)/servers/\(u.sample).ext"])
        #expect(!built.output.failed, "\(built.output.diagnostics.map(\.message))")
        let objects = built.output.objects
        let deployment = try #require(objects.first { $0.kind == "Deployment" })
        #expect(deployment.name == u.deployment && deployment.namespace == u.namespace)
        let pod = try #require(deployment.body.at("spec.template.spec"))
        let container = try #require(pod["containers"]?.listValue.first)
        #expect(pod["serviceAccountName"]?.stringValue == u.serviceAccount)
        let selector = Dictionary(uniqueKeysWithValues: (deployment.body.at("spec.selector.matchLabels")?.fields ?? []).map { ($0.key, $0.value.stringValue ?? "") })
        if !u.selector.isEmpty { #expect(selector == u.selector, "a Deployment's selector cannot change: adopting needs upstream's") }
        #expect(deployment.body.at("spec.replicas")?.intValue == u.replicas)
        for (k, v) in u.strategy { #expect(Self.text(deployment.body.at("spec.strategy.rollingUpdate")?[k]) == v, "strategy \(k)") }

        // command and args: a leading binary becomes the command; serving flags are extc's.
        let strings = { (n: Node?) in n?.listValue.compactMap(\.stringValue) ?? [] }
        let binary = u.command.isEmpty && u.args.first.map { !$0.hasPrefix("-") } == true ? [u.args[0]] : u.command
        #expect(strings(container["command"]) == binary)
        let isManaged = { (a: String) in Self.servingFlags.contains(String(a.prefix { $0 != "=" })) || a.hasPrefix("--etcd-") }
        let ours = strings(container["args"])
        let theirs = u.args.dropFirst(u.command.isEmpty && binary.count == 1 ? 1 : 0).filter { !isManaged($0) }
        #expect(ours.filter { !isManaged($0) } == Array(theirs))
        #expect(ours.contains("--secure-port=\(u.securePort)"))
        let ports = Dictionary(uniqueKeysWithValues: (container["ports"]?.listValue ?? []).map { ($0["name"]!.stringValue!, $0["containerPort"]!.intValue!) })
        #expect(ports == u.extraPorts.merging(["https": u.securePort]) { a, _ in a })
        let service = try #require(objects.first { $0.kind == "Service" && $0.name == u.service && $0.namespace == u.namespace })
        let servicePorts = Dictionary(uniqueKeysWithValues: (service.body.at("spec.ports")?.listValue ?? []).map { ($0["name"]!.stringValue!, $0["port"]!.intValue!) })
        #expect(servicePorts == u.servicePorts)

        // volumes by mount path
        let volumes = pod["volumes"]?.listValue ?? []
        for (path, source) in u.volumes {
            let mount = try #require(container["volumeMounts"]?.listValue.first { $0["mountPath"]?.stringValue == path }, "no mount at \(path)")
            let volume = try #require(volumes.first { $0["name"] == mount["name"] })
            if source.hasPrefix("generated:") {
                let name = try #require(volume.at("configMap.name")?.stringValue)
                let cm = try #require(objects.first { $0.kind == "ConfigMap" && $0.name == name })
                #expect(cm.body.at("data")?[String(source.dropFirst("generated:".count))] != nil)
            } else if source.hasPrefix("configMap:") {
                #expect(volume.at("configMap.name")?.stringValue == String(source.dropFirst("configMap:".count)))
            }
        }

        // probes, scheduling, env, resources, pod annotations
        func probe(_ n: Node?) -> Probe? {
            n.map { Probe(path: $0.at("httpGet.path")?.stringValue ?? "", initialDelay: $0["initialDelaySeconds"]?.intValue,
                          period: $0["periodSeconds"]?.intValue, failureThreshold: $0["failureThreshold"]?.intValue) }
        }
        for (upstream, ours, label) in [(u.readiness, probe(container["readinessProbe"]), "readiness"), (u.liveness, probe(container["livenessProbe"]), "liveness")] {
            guard let upstream, let ours else { continue }
            #expect(ours.path == upstream.path, "\(label) path")
            for (a, b, what) in [(upstream.initialDelay, ours.initialDelay, "initialDelay"), (upstream.period, ours.period, "period"),
                                 (upstream.failureThreshold, ours.failureThreshold, "failureThreshold")] where a != nil {
                #expect(a == b, "\(label) \(what): upstream \(upstream), extc \(ours)")
            }
        }
        #expect(pod["priorityClassName"]?.stringValue == u.priorityClass)
        #expect(Self.map(pod["nodeSelector"]) == u.nodeSelector)
        #expect(Self.map(deployment.body.at("spec.template.metadata.annotations")) == u.podAnnotations)
        let env = Dictionary(uniqueKeysWithValues: (container["env"]?.listValue ?? []).map { ($0["name"]!.stringValue!, $0["value"]?.stringValue ?? "") })
        #expect(env == u.env)
        var resources: [String: String] = [:]
        for part in ["requests", "limits"] { for f in container["resources"]?[part]?.fields ?? [] { resources["\(part).\(f.key)"] = f.value.stringValue } }
        if !u.resources.isEmpty { #expect(resources == u.resources) }

        // the server's own RBAC, bound to its ServiceAccount
        if !u.rules.isEmpty {
            // The server's own role: the one its ClusterRoleBinding of the same name grants.
            let role = try #require(objects.first { o in
                o.kind == "ClusterRole" && objects.contains { $0.kind == "ClusterRoleBinding" && $0.name == o.name }
            })
            let ours = Set((role.body["rules"]?.listValue ?? []).flatMap { r in
                Self.triples(strings(r["apiGroups"]), strings(r["resources"]), strings(r["verbs"]))
            })
            #expect(ours == u.rules, "only extc: \(ours.subtracting(u.rules).sorted()); only upstream: \(u.rules.subtracting(ours).sorted())")
        }

        // APIServices: names and priorities; TLS verified
        let apis = objects.filter { $0.kind == "APIService" }
        #expect(Set(apis.map(\.name)) == Set(u.apiServices.keys))
        for api in apis {
            #expect([api.body.at("spec.groupPriorityMinimum")?.intValue ?? 0, api.body.at("spec.versionPriority")?.intValue ?? 0] == u.apiServices[api.name])
            #expect(api.body.at("spec.service.name")?.stringValue == u.service && api.body.at("spec.insecureSkipTLSVerify") == .bool(false))
        }
    }

    static func map(_ n: Node?) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (n?.fields ?? []).map { ($0.key, $0.value.stringValue ?? "") })
    }

    static func text(_ n: Node?) -> String? {
        switch n {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        default: return nil
        }
    }
}
