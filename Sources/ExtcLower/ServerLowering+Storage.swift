import ExtcCheck
import ExtcSyntax

// `storage`: the server's etcd, with mutual TLS on every port that carries data.
//
// sidecar: etcd is a native sidecar (an init container with restartPolicy Always) in the server's
//   pod, listening on 127.0.0.1 only; its startupProbe holds the server back until etcd answers.
// cluster: a StatefulSet of `members` pods (parallel start, stable DNS names under a headless
//   Service that publishes not-ready addresses, so peers find each other before quorum), a client
//   Service the server connects through, a NetworkPolicy, and a PodDisruptionBudget from 3 members.
extension ServerLowering {
    var etcd: EtcdTopology? { server.etcd }

    // MARK: The API server's side

    /// `--etcd-*` flags for the server container (none without storage).
    var storageArgs: [String] {
        guard let t = etcd, let s = server.storage else { return [] }
        let dir = ServerNames.etcdClientMount
        return ["--etcd-servers=\(t.clientURL)", "--etcd-cafile=\(dir)/ca.crt", "--etcd-certfile=\(dir)/tls.crt",
                "--etcd-keyfile=\(dir)/tls.key", "--etcd-prefix=\(s.prefix.value)"]
    }

    func storageMounts() -> [Node] {
        guard etcd != nil else { return [] }
        return [["name": .string(ServerNames.etcdClientVolume), "mountPath": .string(ServerNames.etcdClientMount), "readOnly": true]]
    }

    /// The client Secret for the server container; for a sidecar also etcd's certificates and data.
    func storagePodVolumes() -> [Node] {
        guard let t = etcd else { return [] }
        var volumes = [Self.secretVolume(ServerNames.etcdClientVolume, n.etcdClientSecret)]
        if t.mode == .sidecar { volumes += [etcdTLSVolume(), ["name": .string(ServerNames.etcdDataVolume), "emptyDir": [:]]] }
        return volumes
    }

    func sidecarContainers() -> [Node] {
        guard let t = etcd, t.mode == .sidecar else { return [] }
        return [etcdContainer(t, sidecar: true)]
    }

    // MARK: Objects

    func storageObjects() -> [KubeObject] {
        guard let t = etcd, let storage = server.storage, t.mode == .cluster else { return [] }
        var out = [peerService(t), clientService(t), networkPolicy(), statefulSet(t, storage)]
        if storage.members.value >= 3 { out.append(etcdDisruptionBudget()) }
        return out
    }

    func etcdSecrets(_ pem: EtcdPEM) -> [KubeObject] {
        let origin = server.storage!.mode.span
        return [tlsSecret(n.etcdServerSecret, ca: pem.caPEM, cert: pem.server.cert, key: pem.server.key, origin: origin),
                tlsSecret(n.etcdPeerSecret, ca: pem.caPEM, cert: pem.peer.cert, key: pem.peer.key, origin: origin),
                tlsSecret(n.etcdClientSecret, ca: pem.caPEM, cert: pem.client.cert, key: pem.client.key, origin: origin)]
    }

    private var ports: (client: Node, peer: Node, metrics: Node) {
        func port(_ name: String, _ number: Int) -> Node { ["name": .string(name), "containerPort": .int(number), "protocol": "TCP"] }
        return (port("client", EtcdTopology.clientPort), port("peer", EtcdTopology.peerPort), port("metrics", EtcdTopology.metricsPort))
    }

    private func servicePort(_ name: String, _ number: Int) -> Node {
        ["name": .string(name), "port": .int(number), "protocol": "TCP", "targetPort": .string(name)]
    }

    /// Headless: gives each member `<pod>.<service>.<ns>.svc`, published before the pod is ready.
    func peerService(_ t: EtcdTopology) -> KubeObject {
        let spec: Node = ["clusterIP": "None", "publishNotReadyAddresses": true, "selector": .strings(n.etcdSelector),
                          "ports": [servicePort("client", EtcdTopology.clientPort), servicePort("peer", EtcdTopology.peerPort)]]
        return object("v1", "Service", t.peerService, namespace: n.namespace, origin: server.storage!.mode.span,
                      labels: [("app.kubernetes.io/component", "etcd")], [("spec", spec)])
    }

    func clientService(_ t: EtcdTopology) -> KubeObject {
        let spec: Node = ["selector": .strings(n.etcdSelector), "ports": [servicePort("client", EtcdTopology.clientPort)]]
        return object("v1", "Service", t.clientService, namespace: n.namespace, origin: server.storage!.mode.span,
                      labels: [("app.kubernetes.io/component", "etcd")], [("spec", spec)])
    }

    /// Only the server's pods reach the client port, only members the peer port. The metrics
    /// port (plain HTTP, /health and /metrics, no data) stays open for the kubelet's probes on
    /// network plugins that apply policies to traffic from the node.
    func networkPolicy() -> KubeObject {
        func peer(_ selector: [(String, String)]) -> Node { ["podSelector": ["matchLabels": .strings(selector)]] }
        func port(_ number: Int) -> Node { ["protocol": "TCP", "port": .int(number)] }
        let spec: Node = [
            "podSelector": ["matchLabels": .strings(n.etcdSelector)],
            "policyTypes": ["Ingress"],
            "ingress": [
                ["from": [peer(n.selector)], "ports": [port(EtcdTopology.clientPort)]],
                ["from": [peer(n.etcdSelector)], "ports": [port(EtcdTopology.peerPort)]],
                ["ports": [port(EtcdTopology.metricsPort)]],
            ],
        ]
        return object("networking.k8s.io/v1", "NetworkPolicy", "\(n.base)-etcd", namespace: n.namespace,
                      origin: server.storage!.mode.span, labels: [("app.kubernetes.io/component", "etcd")], [("spec", spec)])
    }

    func statefulSet(_ t: EtcdTopology, _ storage: Storage) -> KubeObject {
        let spread: [Node] = storage.members.value < 2 ? [] : [[
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": ["matchLabels": .strings(n.etcdSelector)],
        ]]
        let pod = Node.compact([
            ("automountServiceAccountToken", false), ("enableServiceLinks", false), ("securityContext", podSecurity(server.pod.identity.value)),
            ("topologySpreadConstraints", .list(spread)), ("containers", [etcdContainer(t, sidecar: false)]),
            ("volumes", [etcdTLSVolume()]),
        ])
        let claim = Node.compact([
            ("accessModes", ["ReadWriteOnce"]), ("storageClassName", storage.storageClass.map { .string($0.value) }),
            ("resources", ["requests": ["storage": .string(storage.size.value)]]),
        ])
        let spec: Node = [
            "serviceName": .string(t.peerService), "replicas": .int(storage.members.value), "podManagementPolicy": "Parallel",
            "selector": ["matchLabels": .strings(n.etcdSelector)],
            "template": ["metadata": ["labels": .strings(n.etcdLabels)], "spec": pod],
            "volumeClaimTemplates": [["metadata": ["name": .string(ServerNames.etcdDataVolume)], "spec": claim]],
        ]
        return object("apps/v1", "StatefulSet", t.statefulSet, namespace: n.namespace, origin: storage.mode.span,
                      labels: [("app.kubernetes.io/component", "etcd")], [("spec", spec)])
    }

    func etcdDisruptionBudget() -> KubeObject {
        object("policy/v1", "PodDisruptionBudget", "\(n.base)-etcd", namespace: n.namespace, origin: server.storage!.members.span,
               labels: [("app.kubernetes.io/component", "etcd")],
               [("spec", ["maxUnavailable": 1, "selector": ["matchLabels": .strings(n.etcdSelector)]])])
    }

    // MARK: The etcd container

    /// etcd's server and peer certificates under one directory: `ca.crt`, `server.{crt,key}`,
    /// `peer.{crt,key}`, projected from their two Secrets.
    private func etcdTLSVolume() -> Node {
        func items(_ pairs: [(String, String)]) -> Node { .list(pairs.map { ["key": .string($0.0), "path": .string($0.1)] }) }
        return ["name": .string(ServerNames.etcdTLSVolume), "projected": ["defaultMode": 0o440, "sources": [
            ["secret": ["name": .string(n.etcdServerSecret),
                        "items": items([("ca.crt", "ca.crt"), ("tls.crt", "server.crt"), ("tls.key", "server.key")])]],
            ["secret": ["name": .string(n.etcdPeerSecret), "items": items([("tls.crt", "peer.crt"), ("tls.key", "peer.key")])]],
        ]]]
    }

    /// etcd's flags, given in `command` after `etcd` (as kubeadm's static pod does, and as policy
    /// scanners look for them). Cluster members learn their name from `POD_NAME` (the kubelet
    /// expands `$(POD_NAME)`); a sidecar is one member on 127.0.0.1. Flags exist in etcd 3.4 to 3.6.
    func etcdArgs(_ t: EtcdTopology) -> [String] {
        let tls = ServerNames.etcdTLSMount
        let (name, host, listen) = t.mode == .sidecar ? (t.members[0], "127.0.0.1", "127.0.0.1")
            : ("$(POD_NAME)", t.memberHost("$(POD_NAME)"), "0.0.0.0")
        return [
            "--name=\(name)", "--data-dir=\(ServerNames.etcdDataMount)/data",
            "--listen-client-urls=https://\(listen):\(EtcdTopology.clientPort)",
            "--advertise-client-urls=https://\(host):\(EtcdTopology.clientPort)",
            "--listen-peer-urls=https://\(listen):\(EtcdTopology.peerPort)",
            "--initial-advertise-peer-urls=https://\(host):\(EtcdTopology.peerPort)",
            "--initial-cluster=\(t.initialCluster)", "--initial-cluster-state=new", "--initial-cluster-token=\(t.statefulSet)",
            "--client-cert-auth=true", "--trusted-ca-file=\(tls)/ca.crt",
            "--cert-file=\(tls)/server.crt", "--key-file=\(tls)/server.key",
            "--peer-client-cert-auth=true", "--peer-trusted-ca-file=\(tls)/ca.crt",
            "--peer-cert-file=\(tls)/peer.crt", "--peer-key-file=\(tls)/peer.key",
            "--listen-metrics-urls=http://0.0.0.0:\(EtcdTopology.metricsPort)",
            "--logger=zap", "--log-outputs=stderr",
        ]
    }

    private func etcdContainer(_ t: EtcdTopology, sidecar: Bool) -> Node {
        let storage = server.storage!
        // `/health` is served by every etcd from 3.4 on. Liveness asks only the local member
        // (serializable), so losing quorum never restarts the members that would restore it.
        func probe(_ path: String, period: Int, failures: Int) -> Node {
            ["httpGet": ["path": .string(path), "port": "metrics", "scheme": "HTTP"], "periodSeconds": .int(period),
             "timeoutSeconds": 5, "failureThreshold": .int(failures)]
        }
        let env: [Node] = sidecar ? [] : [["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]]]
        let resources = Node.compact([("requests", .strings(storage.requests.map { ($0.key.value, $0.value.value) })),
                                      ("limits", .strings(storage.limits.map { ($0.key.value, $0.value.value) }))])
        let mounts: Node = [
            ["name": .string(ServerNames.etcdDataVolume), "mountPath": .string(ServerNames.etcdDataMount)],
            ["name": .string(ServerNames.etcdTLSVolume), "mountPath": .string(ServerNames.etcdTLSMount), "readOnly": true],
        ]
        let p = ports
        return .compact([
            ("name", .string(ServerNames.etcdContainer)), ("image", .string(storage.image.value.raw)),
            ("imagePullPolicy", .string(server.pullPolicy.value)),
            ("command", .list((["etcd"] + etcdArgs(t)).map(Node.string))), ("env", .list(env)),
            ("ports", .list(sidecar ? [p.metrics] : [p.client, p.peer, p.metrics])),
            ("startupProbe", probe("/health", period: 5, failures: 60)),
            ("readinessProbe", probe("/health", period: 10, failures: 3)),
            ("livenessProbe", probe("/health?exclude=NOSPACE&serializable=true", period: 10, failures: 8)),
            ("resources", resources), ("securityContext", Self.containerSecurity), ("volumeMounts", mounts),
            ("restartPolicy", sidecar ? .string("Always") : nil),
        ])
    }
}
