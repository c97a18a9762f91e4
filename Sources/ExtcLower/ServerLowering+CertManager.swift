import ExtcCheck

// `ca cert-manager`: a self-signed Issuer makes a CA Certificate, a CA Issuer signs the serving
// Certificate into the Secret the Deployment mounts, and cainjector fills each APIService's caBundle.
extension ServerLowering {
    func certManagerObjects() -> [KubeObject] {
        let api = "cert-manager.io/v1"
        let origin = server.certs.ca.span
        let selfSigned = object(api, "Issuer", n.selfSignedIssuer, namespace: n.namespace, origin: origin,
                                [("spec", ["selfSigned": [:]])])
        let caCert = object(api, "Certificate", n.caCertificate, namespace: n.namespace, origin: origin, [("spec", [
            "isCA": true, "commonName": .string("\(n.base)-ca"), "secretName": .string(n.caCertificate),
            "duration": .string(Self.goDuration(server.certs.caValidity.value)), "privateKey": privateKey,
            "issuerRef": issuerRef(n.selfSignedIssuer),
        ])])
        let caIssuer = object(api, "Issuer", n.caIssuer, namespace: n.namespace, origin: origin,
                              [("spec", ["ca": ["secretName": .string(n.caCertificate)]])])
        var usages: [Node] = ["server auth", "digital signature"]
        if server.certs.key.value.isRSA { usages.append("key encipherment") }
        let serving = object(api, "Certificate", n.servingCertificate, namespace: n.namespace, origin: origin, [("spec", [
            "secretName": .string(n.secret), "commonName": .string(server.serviceHost),
            "dnsNames": .list(n.dnsNames.map(Node.string)),
            "duration": .string(Self.goDuration(server.certs.validity.value)),
            "renewBefore": .string(Self.goDuration(server.certs.renewBefore.value)),
            "usages": .list(usages), "privateKey": privateKey, "issuerRef": issuerRef(n.caIssuer),
        ])])
        return [selfSigned, caIssuer, caCert, serving]
    }

    /// etcd's own CA (from the same self-signed Issuer), its CA Issuer, and the server, peer and
    /// client Certificates, each into the Secret the pods mount.
    func etcdCertManagerObjects() -> [KubeObject] {
        guard let t = etcd else { return [] }
        let api = "cert-manager.io/v1"
        let origin = server.storage!.mode.span
        let caCert = object(api, "Certificate", n.etcdCA, namespace: n.namespace, origin: origin, [("spec", [
            "isCA": true, "commonName": .string(n.etcdCA), "secretName": .string(n.etcdCA),
            "duration": .string(Self.goDuration(server.certs.caValidity.value)), "privateKey": privateKey,
            "issuerRef": issuerRef(n.selfSignedIssuer),
        ])])
        let caIssuer = object(api, "Issuer", n.etcdCA, namespace: n.namespace, origin: origin,
                              [("spec", ["ca": ["secretName": .string(n.etcdCA)]])])
        let leaves: [(String, String, [String], Bool)] = [
            (n.etcdServerSecret, t.serverCommonName, t.serverNames, true),
            (n.etcdPeerSecret, t.peerCommonName, t.peerNames, true),
            (n.etcdClientSecret, t.clientCommonName, [], false),
        ]
        let certificates = leaves.map { name, cn, dns, serves in
            var usages: [Node] = serves ? ["server auth", "client auth", "digital signature"] : ["client auth", "digital signature"]
            if server.certs.key.value.isRSA { usages.append("key encipherment") }
            return object(api, "Certificate", name, namespace: n.namespace, origin: origin, [("spec", .compact([
                ("secretName", .string(name)), ("commonName", .string(cn)), ("dnsNames", .list(dns.map(Node.string))),
                ("ipAddresses", serves ? .list(t.ipAddresses.map(Node.string)) : nil),
                ("duration", .string(Self.goDuration(server.certs.validity.value))),
                ("renewBefore", .string(Self.goDuration(server.certs.renewBefore.value))),
                ("usages", .list(usages)), ("privateKey", privateKey), ("issuerRef", issuerRef(n.etcdCA)),
            ]))])
        }
        return [caIssuer, caCert] + certificates
    }

    private var privateKey: Node {
        let (algorithm, size): (String, Int) = switch server.certs.key.value {
        case .ecdsaP256: ("ECDSA", 256)
        case .ecdsaP384: ("ECDSA", 384)
        case .rsa2048: ("RSA", 2048)
        case .rsa3072: ("RSA", 3072)
        case .rsa4096: ("RSA", 4096)
        }
        return ["algorithm": .string(algorithm), "size": .int(size), "rotationPolicy": "Always"]
    }

    private func issuerRef(_ name: String) -> Node {
        ["name": .string(name), "kind": "Issuer", "group": "cert-manager.io"]
    }

    /// Go's time.Duration text for whole hours: `8760h0m0s`, as cert-manager prints it back.
    static func goDuration(_ seconds: Int) -> String { "\(seconds / 3600)h0m0s" }
}
