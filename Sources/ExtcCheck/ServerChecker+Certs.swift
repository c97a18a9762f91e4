import ExtcSyntax

// The `certs { ... }` block.
extension ServerChecker {
    static let certFields = FieldTable([
        FieldSpec("key"), FieldSpec("validity"), FieldSpec("ca", values: 1...3), FieldSpec("ca-validity"),
        FieldSpec("cluster-domain"), FieldSpec("renew-before"), FieldSpec("usage"),
    ])

    mutating func checkCerts(_ entry: Entry?) -> CertSettings? {
        let f = Fields(entry?.block?.entries ?? [], in: "certs", owner: entry?.head.span ?? home, table: Self.certFields, diagnostics: &bag)
        let key = f["key"].map { choice($0.args[0], "key", KeyAlgorithm.allCases.map(\.rawValue)) } ?? Located("ecdsa-p256", home)
        let validity = f["validity"].map { duration($0.args[0], "validity") } ?? Located(365 * 86_400, home)
        let caValidity = f["ca-validity"].map { duration($0.args[0], "ca-validity") } ?? Located(3650 * 86_400, home)
        let renew = f["renew-before"].map { duration($0.args[0], "renew-before") } ?? Located(30 * 86_400, home)
        let ca = f["ca"].map { checkCA($0) } ?? Located(CASource.generated, home)
        var domain: Located<String>? = Located("cluster.local", home)
        if let d = f["cluster-domain"]?.args[0] {
            domain = Names.isDNS1123Subdomain(d.text) ? Located(d.text, d.span) : nil
            if domain == nil {
                error(.invalidSubdomain, "cluster domain `\(d.text)` is not a DNS-1123 subdomain\(Names.tooLong(d.text, 253))", d.span, note: "invalid domain",
                      help: "most clusters use `cluster.local`")
            }
        }
        let usage = f["usage"].map { choice($0.args[0], "usage", ["server", "server-client"]) } ?? Located("server", home)
        guard let key, let validity, let caValidity, let renew, let ca, let domain, let usage else { return nil }
        // A file CA's lifetime is known only when its file is read (the cert backend checks it, E0305).
        if !ca.value.isLocal || ca.value.name == "files" {} else if validity.value > caValidity.value {
            let labels = f.has("ca-validity") ? [Label(caValidity.span, "the CA's validity")] : []
            error(.leafOutlivesCA, "the serving certificate (\(Names.formatDuration(validity.value))) would outlive its CA (\(Names.formatDuration(caValidity.value)))",
                  validity.span, note: "longer than the CA's validity", labels: labels,
                  help: "shorten `validity`, or lengthen `ca-validity`")
            return nil
        }
        if renew.value >= validity.value {
            error(.outOfRange, "`renew-before` (\(Names.formatDuration(renew.value))) must be shorter than `validity` (\(Names.formatDuration(validity.value)))",
                  renew.span, note: "renews on every build", help: "a tenth to a third of `validity` is usual")
            return nil
        }
        return CertSettings(key: Located(KeyAlgorithm(rawValue: key.value)!, key.span), validity: validity, ca: ca,
                            caValidity: caValidity, clusterDomain: domain, renewBefore: renew, serverAndClient: usage.value == "server-client")
    }

    private mutating func checkCA(_ e: Entry) -> Located<CASource>? {
        let v = e.args[0]
        switch (v.text, e.args.count) {
        case ("generated", 1): return Located(.generated, v.span)
        case ("cert-manager", 1): return Located(.certManager, v.span)
        case ("service-ca", 1): return Located(.serviceCA, v.span)
        case ("external", 2):
            guard let secret = objectName(e.args[1], "Secret name", help: "name the Secret (tls.crt, tls.key) that the CA's owner writes") else { return nil }
            return Located(.external(secret: secret.value), v.span.to(e.args[1].span))
        case ("external", _):
            error(.wrongArity, "`ca external` takes the name of the serving Secret its owner writes", v.span, note: "Secret missing",
                  help: "write `ca external my-server-certs`")
        case ("files", 3): return Located(.files(cert: e.args[1].text, key: e.args[2].text), v.span.to(e.args[2].span))
        case ("files", _):
            error(.wrongArity, "`ca files` takes a certificate and a key file", v.span, note: "files missing",
                  help: "write `ca files \"ca.crt\" \"ca.key\"` (paths relative to the spec)")
        case ("generated", _), ("cert-manager", _), ("service-ca", _):
            error(.wrongArity, "`ca \(v.text)` takes no further values", e.args[1].span, note: "extra value", help: "remove it")
        default:
            let options = ["generated", "files", "cert-manager", "external", "service-ca"]
            error(.invalidValue, "`ca` is `generated`, `files CERT KEY`, `cert-manager`, `external SECRET` or `service-ca`; found `\(v.text)`",
                  v.span, note: "unknown CA source",
                  help: Suggest.help(for: v.text, in: options) ?? "use one of: \(options.joined(separator: ", "))")
        }
        return nil
    }
}
