import ExtcCheck
import ExtcSyntax

// The Deployment: pod and container, hardened by default.
extension ServerLowering {
    func deployment() -> KubeObject {
        let template: Node = .compact([
            ("metadata", .compact([("labels", .strings(n.podLabels)),
                                   ("annotations", .strings(server.pod.annotations.map { ($0.key.value, $0.value.value) }))])),
            ("spec", podSpec()),
        ])
        let rolling = Node.compact([("maxSurge", server.pod.maxSurge.map { Self.intOrString($0.value) }),
                                    ("maxUnavailable", server.pod.maxUnavailable.map { Self.intOrString($0.value) })])
        // A sidecar store lives and dies with its pod: the old pod goes before the new one starts,
        // so two stores never serve at once (the checker refuses rolling settings with it).
        let strategy: Node? = server.storage?.mode.value == .sidecar ? ["type": "Recreate"]
            : rolling.fields.isEmpty ? nil : ["type": "RollingUpdate", "rollingUpdate": rolling]
        let spec = Node.compact([("replicas", .int(server.replicas.value)), ("selector", ["matchLabels": .strings(n.selector)]),
                                 ("strategy", strategy), ("template", template)])
        return object("apps/v1", "Deployment", n.deployment, namespace: n.namespace, origin: server.image.span, [("spec", spec)])
    }

    /// `25%` stays a string; `1` is an integer, as the API server stores an IntOrString.
    static func intOrString(_ s: String) -> Node { Int(s).map(Node.int) ?? .string(s) }

    /// Pod-level hardening, shared by the server's pods and etcd's: a fixed non-root identity, or
    /// (`run-as platform`) none, for the platform to assign.
    func podSecurity(_ identity: PodIdentity) -> Node {
        switch identity {
        case .fixed(let uid, let gid):
            return ["runAsNonRoot": true, "runAsUser": .int(uid), "runAsGroup": .int(gid), "fsGroup": .int(gid),
                    "seccompProfile": ["type": "RuntimeDefault"]]
        case .platform:
            return ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]]
        }
    }

    /// Container-level hardening, shared by every container extc writes.
    static var containerSecurity: Node {
        ["allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
         "capabilities": ["drop": ["ALL"]], "seccompProfile": ["type": "RuntimeDefault"]]
    }

    /// A Secret volume readable by the pod's group only.
    static func secretVolume(_ name: String, _ secret: String, items: [(String, String)] = []) -> Node {
        let list: Node? = items.isEmpty ? nil : .list(items.map { ["key": .string($0.0), "path": .string($0.1)] })
        return ["name": .string(name), "secret": .compact([("secretName", .string(secret)), ("items", list), ("defaultMode", 0o440)])]
    }

    private func podSpec() -> Node {
        let pod = server.pod
        let spread: [Node] = pod.spread ? [[
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": ["matchLabels": .strings(n.selector)],
        ]] : []
        let tolerations: [Node] = pod.tolerations.map { t in
            .compact([("key", t.key.isEmpty ? nil : .string(t.key)), ("operator", .string(t.operator)),
                      ("value", t.value.map(Node.string)), ("effect", t.effect.map(Node.string))])
        }
        return .compact([
            ("serviceAccountName", .string(n.serviceAccount)), ("automountServiceAccountToken", true),
            ("priorityClassName", pod.priorityClass.map { .string($0.value) }),
            ("nodeSelector", .strings(pod.nodeSelector.map { ($0.key.value, $0.value.value) })),
            ("tolerations", .list(tolerations)), ("hostNetwork", pod.hostNetwork ? true : nil),
            ("dnsPolicy", pod.hostNetwork ? "ClusterFirstWithHostNet" : nil),
            ("securityContext", podSecurity(pod.identity.value)), ("topologySpreadConstraints", .list(spread)),
            ("initContainers", .list(sidecarContainers())), ("containers", [container()]), ("volumes", .list(volumes())),
        ])
    }

    /// The serving certificate (under cert-dir, its files renamed as the server expects), /tmp,
    /// the spec's volumes, then storage's.
    private func volumes() -> [Node] {
        let certItems = server.serving.certDir.map { [("tls.crt", $0.certFile), ("tls.key", $0.keyFile)] } ?? []
        var out = [Self.secretVolume(ServerNames.certVolume, n.servingSecret, items: certItems), ["name": "tmp", "emptyDir": [:]]]
        out += server.volumes.map { v -> Node in
            let source: (String, Node)
            switch v.source.value {
            case .emptyDir: source = ("emptyDir", [:])
            case .configMap(let name): source = ("configMap", ["name": .string(name)])
            case .secret(let name): source = ("secret", ["secretName": .string(name), "defaultMode": 0o440])
            case .files: source = ("configMap", ["name": .string(configMapName(v))])
            }
            return .map([Node.Field("name", .string(v.name.value)), Node.Field(source.0, source.1)])
        }
        return out + storagePodVolumes()
    }

    /// The managed flags come first (port, certificate, then storage); the spec's args follow.
    var containerArgs: [String] {
        let s = server.serving
        var flags = ["\(s.portFlag.value)=\(server.port.value)"]
        if let dir = s.certDir {
            flags += dir.flag.map { ["\($0)=\(dir.path.value)"] } ?? []
        } else {
            flags += ["\(s.certFlag.value)=\(ServerNames.certMount)/tls.crt", "\(s.keyFlag.value)=\(ServerNames.certMount)/tls.key"]
        }
        return flags + storageArgs + server.args.map(\.value)
    }

    private func container() -> Node {
        let s = server.serving
        func probe(_ path: Located<String>, startup: Bool = false) -> Node {
            .compact([("httpGet", ["path": .string(path.value), "port": .string(ServerNames.portName), "scheme": "HTTPS"]),
                      ("initialDelaySeconds", startup ? nil : s.initialDelay.map { .int($0.value) }),
                      ("periodSeconds", s.period.map { .int($0.value) }),
                      ("timeoutSeconds", s.timeout.map { .int($0.value) }),
                      ("failureThreshold", startup ? .int(30) : s.failureThreshold.map { .int($0.value) })])
        }
        let env: [Node] = server.env.map { e in
            switch e.source.value {
            case .value(let v): return ["name": .string(e.name.value), "value": .string(v)]
            case .field(let path): return ["name": .string(e.name.value), "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]]
            case .secret(let name, let key):
                return ["name": .string(e.name.value), "valueFrom": ["secretKeyRef": ["name": .string(name), "key": .string(key)]]]
            case .configMap(let name, let key):
                return ["name": .string(e.name.value), "valueFrom": ["configMapKeyRef": ["name": .string(name), "key": .string(key)]]]
            }
        }
        let ports: [Node] = [["name": .string(ServerNames.portName), "containerPort": .int(server.port.value), "protocol": "TCP"]]
            + server.ports.map { ["name": .string($0.name.value), "containerPort": .int($0.containerPort.value), "protocol": "TCP"] }
        let resources = Node.compact([("requests", .strings(server.requests.map { ($0.key.value, $0.value.value) })),
                                      ("limits", .strings(server.limits.map { ($0.key.value, $0.value.value) }))])
        let certMount = s.certDir?.path.value ?? ServerNames.certMount
        let mounts: [Node] = [
            ["name": .string(ServerNames.certVolume), "mountPath": .string(certMount), "readOnly": true],
            ["name": "tmp", "mountPath": "/tmp"],
        ] + server.volumes.map { v in
            .compact([("name", .string(v.name.value)), ("mountPath", .string(v.mountPath.value)), ("readOnly", v.readOnly ? true : nil)])
        } + storageMounts()
        return .compact([
            ("name", .string(ServerNames.container)), ("image", .string(server.image.value.raw)),
            ("imagePullPolicy", .string(server.pullPolicy.value)), ("command", .list(server.command.map { .string($0.value) })),
            ("args", .list(containerArgs.map(Node.string))), ("env", .list(env)), ("ports", .list(ports)),
            ("startupProbe", s.startup.map { probe($0, startup: true) }),
            ("readinessProbe", probe(s.readiness)), ("livenessProbe", probe(s.liveness)), ("resources", resources),
            ("securityContext", Self.containerSecurity), ("volumeMounts", .list(mounts)),
        ])
    }
}
