import ExtcSyntax

// `serving { ... }`: the flags the server takes its port and certificate by, and its probes.
extension ServerChecker {
    static let servingFields = FieldTable([
        FieldSpec("port-flag"), FieldSpec("cert-flag"), FieldSpec("key-flag"), FieldSpec("cert-dir", values: 1...4),
        FieldSpec("readiness"), FieldSpec("liveness"), FieldSpec("startup"),
        FieldSpec("initial-delay"), FieldSpec("period"), FieldSpec("failure-threshold"), FieldSpec("timeout"),
    ])

    /// The probe timeout with extc's etcd: above k8s.io/apiserver's 2 s etcd health and readiness
    /// checks (`DefaultHealthcheckTimeout`, `DefaultReadinessTimeout`), which `/livez` and
    /// `/readyz` run.
    static let storageProbeTimeout = 5

    /// `storage`: the mode of extc's etcd, which picks two defaults: the probe timeout, and (for
    /// `cluster`, whose members start apart from the server) a startupProbe on `/livez`, so the
    /// server is not restarted while etcd forms.
    mutating func checkServing(_ entry: Entry?, storage: Located<Storage.Mode>?) -> ServingDialect? {
        let f = Fields(entry?.block?.entries ?? [], in: "serving", owner: entry?.head.span ?? home, table: Self.servingFields, diagnostics: &bag)
        func flag(_ field: String, _ fallback: String) -> Located<String>? {
            guard let v = f[field]?.args[0] else { return Located(fallback, home) }
            guard v.text.hasPrefix("-"), !v.text.contains("="), v.text.count > 1 else {
                error(.invalidValue, "`\(field)` takes a flag name such as `\(fallback)`, found `\(v.text)`", v.span, note: "not a flag name",
                      help: "write the flag without a value: extc adds `=VALUE`")
                return nil
            }
            return Located(v.text, v.span)
        }
        func path(_ field: String, _ fallback: String?) -> Located<String>?? {
            guard let v = f[field]?.args[0] else { return .some(fallback.map { Located($0, home) }) }
            guard v.text.hasPrefix("/"), v.text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                error(.invalidValue, "`\(field)` takes an HTTP path such as `/readyz`, found `\(v.text)`", v.span, note: "not a path",
                      help: "write a path starting with `/`")
                return nil
            }
            return .some(Located(v.text, v.span))
        }
        let port = flag("port-flag", "--secure-port"), cert = flag("cert-flag", "--tls-cert-file"), key = flag("key-flag", "--tls-private-key-file")
        let certDir = f["cert-dir"].map { checkCertDir($0) }
        let readiness = path("readiness", "/readyz"), liveness = path("liveness", "/livez")
        let startup = f["startup"] == nil && storage?.value == .cluster ? .some(Located("/livez", storage!.span)) : path("startup", nil)
        let delay = f["initial-delay"].map { seconds($0.args[0], "initial-delay", 0...3600) }
        let period = f["period"].map { seconds($0.args[0], "period", 1...3600) }
        let failures = f["failure-threshold"].map { int($0.args[0], "failure-threshold", 1...100) }
        let timeout = f["timeout"].map { seconds($0.args[0], "timeout", 1...600) }
        guard let port, let cert, let key, let r = readiness ?? nil, let l = liveness ?? nil, let startup,
              certDir ?? .some(nil) != nil, delay ?? .some(nil) != nil, period ?? .some(nil) != nil, failures ?? .some(nil) != nil,
              timeout ?? .some(nil) != nil
        else { return nil }
        return ServingDialect(portFlag: port, certFlag: cert, keyFlag: key, certDir: certDir ?? nil, readiness: r, liveness: l,
                              startup: startup, initialDelay: delay ?? nil, period: period ?? nil, failureThreshold: failures ?? nil,
                              timeout: timeout ?? storage.map { Located(Self.storageProbeTimeout, $0.span) })
    }

    /// `cert-dir PATH [CERT KEY] [FLAG | none]`: defaults `tls.crt tls.key --cert-dir`. Two values
    /// are PATH and the flag (file names come in pairs).
    private mutating func checkCertDir(_ e: Entry) -> ServingDialect.CertDir? {
        guard let path = checkMountPath(e.args[0]) else { return nil }
        let names = e.args.count >= 3 ? (e.args[1].text, e.args[2].text) : ("tls.crt", "tls.key")
        let flagValue: Value? = e.args.count == 2 || e.args.count == 4 ? e.args[e.args.count - 1] : nil
        if e.args.count == 2, let v = flagValue, v.text != "none", !v.text.hasPrefix("-") {
            error(.invalidValue, "`cert-dir` takes a directory, then optionally the certificate's and key's file names (both) and the flag",
                  v.span, note: "a file name without the other, or not a flag",
                  help: "write `cert-dir /certs apiserver.crt apiserver.key`, or a flag: `cert-dir /certs --cert-dir`")
            return nil
        }
        if !Names.isConfigMapKey(names.0) || !Names.isConfigMapKey(names.1) || names.0 == names.1 {
            error(.invalidValue, "`cert-dir` takes a directory, then optionally the certificate's and key's file names and the flag",
                  e.span, note: "malformed cert-dir",
                  help: "write `cert-dir /var/run/serving-cert`, or `cert-dir /certs apiserver.crt apiserver.key --cert-dir`")
            return nil
        }
        var flag: String? = "--cert-dir"
        if let v = flagValue { flag = v.text == "none" ? nil : v.text }
        if let f = flag, let v = flagValue, !f.hasPrefix("-") || f.contains("=") {
            error(.invalidValue, "`\(f)` is not a flag name", v.span, note: "not a flag", help: "write a flag such as `--cert-dir`, or `none`")
            return nil
        }
        return ServingDialect.CertDir(path: path, certFile: names.0, keyFile: names.1, flag: flag)
    }

    /// `20s`, `2m`, or a bare number of seconds.
    private mutating func seconds(_ v: Value, _ field: String, _ range: ClosedRange<Int>) -> Located<Int>? {
        let t = v.text
        let (digits, scale) = t.hasSuffix("m") ? (t.dropLast(), 60) : t.hasSuffix("s") ? (t.dropLast(), 1) : (Substring(t), 1)
        guard let n = Int(digits), String(n) == digits, range.contains(n * scale) else {
            error(.invalidValue, "`\(field)` takes seconds from \(range.lowerBound) to \(range.upperBound), found `\(t)`", v.span,
                  note: "invalid duration", help: "write `20s` or `2m`")
            return nil
        }
        return Located(n * scale, v.span)
    }
}
