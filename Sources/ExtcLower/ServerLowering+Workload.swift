import ExtcCheck
import ExtcSyntax

// The serving half: Secret, Service, Deployment, PodDisruptionBudget, APIServices.
extension ServerLowering {
    /// The non-root identity the pod runs as; also the group that may read the mounted key.
    static let uid = 65532

    func secret(_ pem: ServingPEM) -> KubeObject {
        tlsSecret(n.secret, ca: pem.caPEM, cert: pem.certPEM, key: pem.keyPEM, origin: server.certs.key.span)
    }

    /// A `kubernetes.io/tls` Secret with the issuing CA's certificate as `ca.crt`: the shape
    /// cert-manager writes too, so mounts do not depend on who issued.
    func tlsSecret(_ name: String, ca: String, cert: String, key: String, origin: Span) -> KubeObject {
        let data: Node = ["ca.crt": .string(Base64.encode(ca)), "tls.crt": .string(Base64.encode(cert)),
                          "tls.key": .string(Base64.encode(key))]
        return object("v1", "Secret", name, namespace: n.namespace, origin: origin, sensitive: true,
                      [("type", "kubernetes.io/tls"), ("data", data)])
    }

    func service() -> KubeObject {
        let port: Node = ["name": .string(ServerNames.portName), "port": 443, "protocol": "TCP",
                          "targetPort": .string(ServerNames.portName)]
        return object("v1", "Service", server.service.value, namespace: n.namespace, origin: server.service.span,
                      [("spec", ["selector": .strings(n.selector), "ports": [port]])])
    }

    func deployment() -> KubeObject {
        let template: Node = [
            "metadata": ["labels": .strings(n.labels)],
            "spec": podSpec(),
        ]
        let spec: Node = ["replicas": .int(server.replicas.value), "selector": ["matchLabels": .strings(n.selector)],
                          "template": template]
        return object("apps/v1", "Deployment", n.deployment, namespace: n.namespace, origin: server.image.span,
                      [("spec", spec)])
    }

    /// Pod-level hardening, shared by the server's pods and etcd's.
    static var podSecurity: Node {
        ["runAsNonRoot": true, "runAsUser": .int(uid), "runAsGroup": .int(uid), "fsGroup": .int(uid),
         "seccompProfile": ["type": "RuntimeDefault"]]
    }

    /// Container-level hardening, shared by every container extc writes.
    static var containerSecurity: Node {
        ["allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
         "capabilities": ["drop": ["ALL"]], "seccompProfile": ["type": "RuntimeDefault"]]
    }

    /// A Secret volume readable by the pod's group only.
    static func secretVolume(_ name: String, _ secret: String) -> Node {
        ["name": .string(name), "secret": ["secretName": .string(secret), "defaultMode": 0o440]]
    }

    private func podSpec() -> Node {
        var volumes: [Node] = [Self.secretVolume(ServerNames.certVolume, n.secret), ["name": "tmp", "emptyDir": [:]]]
        volumes += storagePodVolumes()
        return .compact([("serviceAccountName", .string(n.serviceAccount)), ("automountServiceAccountToken", true),
                         ("securityContext", Self.podSecurity), ("initContainers", .list(sidecarContainers())),
                         ("containers", [container()]), ("volumes", .list(volumes))])
    }

    /// The flags extc manages come first (serving, then storage); the spec's args follow.
    var containerArgs: [String] {
        ["--secure-port=\(server.port.value)", "--tls-cert-file=\(ServerNames.certMount)/tls.crt",
         "--tls-private-key-file=\(ServerNames.certMount)/tls.key"] + storageArgs + server.args.map(\.value)
    }

    private func container() -> Node {
        func probe(_ path: String) -> Node {
            ["httpGet": ["path": .string(path), "port": .string(ServerNames.portName), "scheme": "HTTPS"]]
        }
        let env: [Node] = server.env.map { ["name": .string($0.key.value), "value": .string($0.value.value)] }
        let resources = Node.compact([("requests", .strings(server.requests.map { ($0.key.value, $0.value.value) })),
                                      ("limits", .strings(server.limits.map { ($0.key.value, $0.value.value) }))])
        let mounts: [Node] = [
            ["name": .string(ServerNames.certVolume), "mountPath": .string(ServerNames.certMount), "readOnly": true],
            ["name": "tmp", "mountPath": "/tmp"],
        ] + storageMounts()
        return .compact([
            ("name", .string(ServerNames.container)), ("image", .string(server.image.value.raw)),
            ("imagePullPolicy", .string(server.pullPolicy.value)), ("args", .list(containerArgs.map(Node.string))),
            ("env", .list(env)),
            ("ports", [["name": .string(ServerNames.portName), "containerPort": .int(server.port.value), "protocol": "TCP"]]),
            ("readinessProbe", probe("/readyz")), ("livenessProbe", probe("/livez")), ("resources", resources),
            ("securityContext", Self.containerSecurity), ("volumeMounts", .list(mounts)),
        ])
    }

    func disruptionBudget() -> KubeObject {
        object("policy/v1", "PodDisruptionBudget", n.deployment, namespace: n.namespace, origin: server.replicas.span,
               [("spec", ["maxUnavailable": 1, "selector": ["matchLabels": .strings(n.selector)]])])
    }

    func apiServices() -> [KubeObject] {
        server.versions.map { v in
            var caBundle: Node? = nil
            var annotations: [(String, String)] = []
            switch tls {
            case .inline(let serving, _): caBundle = .string(Base64.encode(serving.caPEM))
            case .certManager: annotations = [("cert-manager.io/inject-ca-from", "\(n.namespace)/\(n.servingCertificate)")]
            }
            let spec = Node.compact([
                ("group", .string(server.group.value)), ("version", .string(v.value)),
                ("service", ["namespace": .string(n.namespace), "name": .string(server.service.value), "port": 443]),
                ("caBundle", caBundle), ("groupPriorityMinimum", .int(server.groupPriorityMinimum.value)),
                ("versionPriority", .int(server.versionPriority.value)),
            ])
            return object("apiregistration.k8s.io/v1", "APIService", "\(v.value).\(server.group.value)", namespace: nil,
                          origin: v.span, annotations: annotations, [("spec", spec)])
        }
    }
}
