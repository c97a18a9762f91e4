import ExtcCheck
import ExtcSyntax

// The serving half: Secret, ConfigMaps, Service, PodDisruptionBudget, APIServices. The Deployment
// itself is in +Pod.
extension ServerLowering {
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

    /// The ConfigMap of a `files` volume; its name ends in a hash of the content.
    func configMapName(_ v: Volume) -> String {
        "\(n.base)-\(v.name.value)-\(ConfigFiles.hash(files.files(server: n.base, volume: v.name.value)))"
    }

    func configMaps() -> [KubeObject] {
        server.volumes.compactMap { v in
            guard case .files = v.source.value else { return nil }
            let data = Node.map(files.files(server: n.base, volume: v.name.value).map { Node.Field($0.key, .string($0.text)) })
            return object("v1", "ConfigMap", configMapName(v), namespace: n.namespace, origin: v.source.span, [("data", data)])
        }
    }

    func service() -> KubeObject {
        let https: Node = ["name": .string(ServerNames.portName), "port": 443, "protocol": "TCP",
                           "targetPort": .string(ServerNames.portName)]
        let extra: [Node] = server.ports.map {
            ["name": .string($0.name.value), "port": .int($0.servicePort.value), "protocol": "TCP", "targetPort": .string($0.name.value)]
        }
        let annotations: [(String, String)] = server.certs.ca.value == .serviceCA
            ? [("service.beta.openshift.io/serving-cert-secret-name", n.secret)] : []
        return object("v1", "Service", server.service.value, namespace: n.namespace, origin: server.service.span,
                      annotations: annotations, [("spec", ["selector": .strings(n.selector), "ports": .list([https] + extra)])])
    }

    func disruptionBudget() -> KubeObject {
        object("policy/v1", "PodDisruptionBudget", n.deployment, namespace: n.namespace, origin: server.replicas.span,
               [("spec", ["maxUnavailable": 1, "selector": ["matchLabels": .strings(n.selector)]])])
    }

    /// One per group and version. `insecureSkipTLSVerify: false` is written out, so that applying
    /// over an install that skipped verification turns it off rather than leaving it beside a caBundle.
    func apiServices() -> [KubeObject] {
        var caBundle: Node? = nil
        var annotations: [(String, String)] = []
        switch server.certs.ca.value {
        case .generated, .files: caBundle = tls.serving.map { .string(Base64.encode($0.bundlePEM)) }
        case .certManager: annotations = [("cert-manager.io/inject-ca-from", "\(n.namespace)/\(n.servingCertificate)")]
        case .serviceCA: annotations = [("service.beta.openshift.io/inject-cabundle", "true")]
        case .external: break
        }
        return server.groups.flatMap { g in
            g.versions.map { v in
                let spec = Node.compact([
                    ("group", .string(g.name.value)), ("version", .string(v.name.value)),
                    ("service", ["namespace": .string(n.namespace), "name": .string(server.service.value), "port": 443]),
                    ("caBundle", caBundle), ("insecureSkipTLSVerify", false),
                    ("groupPriorityMinimum", .int(g.groupPriorityMinimum.value)), ("versionPriority", .int(v.priority.value)),
                ])
                return object("apiregistration.k8s.io/v1", "APIService", "\(v.name.value).\(g.name.value)", namespace: nil,
                              origin: v.name.span, annotations: annotations, [("spec", spec)])
            }
        }
    }
}
