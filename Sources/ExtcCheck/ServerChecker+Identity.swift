import ExtcSyntax

// Names: the server, its group and versions, namespace and service.
extension ServerChecker {
    mutating func checkName(_ v: Value) -> Located<String>? {
        guard Names.isDNS1123Label(v.text) else {
            error(.invalidLabelName, "apiserver name `\(v.text)` is not a DNS-1123 label\(Names.tooLong(v.text, 63))", v.span, note: "invalid name",
                  help: labelHelp(v.text))
            return nil
        }
        return Located(v.text, v.span)
    }

    mutating func checkGroup(_ v: Value) -> Located<String>? {
        let g = v.text
        guard g.contains(".") else {
            error(.groupWithoutDot, "group `\(g)` has no dot", v.span, note: "unqualified group",
                  help: "use a domain you own, such as `\(g.isEmpty ? "example" : g.lowercased()).example.com`")
            return nil
        }
        guard Names.isDNS1123Subdomain(g) else {
            error(.invalidSubdomain, "group `\(g)` is not a DNS-1123 subdomain\(Names.tooLong(g, 253))", v.span, note: "invalid group",
                  help: "use lowercase letters, digits, `-` and `.`, at most 253 characters: `\(g.lowercased())`")
            return nil
        }
        if KnownAPIs.builtinGroups.contains(g) {
            error(.builtinGroup, "group `\(g)` is built into Kubernetes", v.span, note: "served by kube-apiserver",
                  help: "use a group of your own, such as `\(g.split(separator: ".")[0]).example.com`")
            return nil
        }
        if KnownAPIs.wellKnownGroups.contains(g) {
            warn(.wellKnownGroup, "group `\(g)` is also served by metrics-server or a metrics adapter", v.span,
                 note: "shared group", help: "two servers of one group overwrite each other's APIService; install only one")
        } else if g.hasSuffix(".k8s.io") || g.hasSuffix(".kubernetes.io") {
            warn(.kubernetesGroup, "group `\(g)` is in a domain reserved for Kubernetes", v.span, note: "reserved domain",
                 help: "use a domain you own")
        }
        return Located(g, v.span)
    }

    mutating func checkVersions(_ values: [Value], group: Located<String>?) -> [Located<String>]? {
        var seen: [String: Span] = [:]
        var out: [Located<String>] = []
        var ok = true
        for v in values {
            guard Names.isKubeVersion(v.text) else {
                error(.invalidVersion, "`\(v.text)` is not a Kubernetes API version", v.span, note: "invalid version",
                      help: versionHelp(v.text))
                ok = false
                continue
            }
            if let first = seen[v.text] {
                error(.duplicateVersion, "version `\(v.text)` is listed twice", v.span, note: "listed again",
                      labels: [Label(first, "first listed here")], help: "remove one")
                ok = false
                continue
            }
            seen[v.text] = v.span
            if let g = group, let defined = KnownAPIs.definedVersions(of: g.value), !defined.contains(v.text) {
                warn(.undefinedVersion, "`\(v.text)` is not a version of `\(g.value)`, which k8s.io/metrics defines as \(defined.joined(separator: ", "))",
                     v.span, note: "no such version",
                     help: "APIService `\(v.text).\(g.value)` would fail the aggregator's discovery check (FailedDiscoveryCheck); serve \(defined.joined(separator: " "))")
            }
            if let g = group, v.text.utf8.count + 1 + g.value.utf8.count > 253 {
                error(.apiServiceNameTooLong, "APIService name `\(v.text).\(g.value)` is longer than 253 characters", v.span,
                      note: "too long", labels: [Label(g.span, "group")], help: "shorten the group")
                ok = false
                continue
            }
            out.append(Located(v.text, v.span))
        }
        return ok ? out : nil
    }

    private func versionHelp(_ s: String) -> String {
        let lower = s.lowercased()
        if Names.isKubeVersion(lower) { return "versions are lowercase: `\(lower)`" }
        if Names.isKubeVersion("v" + lower) { return "versions start with `v`: `v\(lower)`" }
        return "versions look like `v1`, `v1beta1` or `v2alpha3`"
    }

    /// `FIELD NAME existing`: whether the second value says the object already exists.
    mutating func existing(_ e: Entry, _ field: String, help: String) -> Bool {
        guard e.args.count == 2 else { return false }
        if e.args[1].text == "existing" { return true }
        error(.invalidValue, "the second value of `\(field)` can only be `existing`", e.args[1].span, note: "unknown value",
              help: "write `\(field) \(e.args[0].text) existing` \(help)")
        return false
    }

    /// A reference to a named object (a DNS-1123 subdomain), or nil with E0111.
    mutating func objectName(_ v: Value, _ what: String, help: String) -> Located<String>? {
        guard Names.isDNS1123Subdomain(v.text) else {
            error(.invalidSubdomain, "\(what) `\(v.text)` is not a DNS-1123 subdomain\(Names.tooLong(v.text, 253))", v.span, note: "invalid name", help: help)
            return nil
        }
        return Located(v.text, v.span)
    }

    mutating func checkNamespace(_ e: Entry) -> (Located<String>?, Bool) {
        let v = e.args[0]
        let create = !KnownAPIs.builtinNamespaces.contains(v.text) && !existing(e, "namespace", help: "when the namespace already exists")
        guard Names.isDNS1123Label(v.text) else {
            error(.invalidLabelName, "namespace `\(v.text)` is not a DNS-1123 label\(Names.tooLong(v.text, 63))", v.span, note: "invalid namespace",
                  help: labelHelp(v.text))
            return (nil, create)
        }
        return (Located(v.text, v.span), create)
    }

    mutating func checkServiceName(_ v: Value) -> Located<String>? {
        guard Names.isDNS1035Label(v.text) else {
            error(.invalidServiceName, "service name `\(v.text)` is not a DNS-1035 label\(Names.tooLong(v.text, 63))", v.span, note: "invalid service name",
                  help: "start with a lowercase letter; then lowercase letters, digits and `-`, at most 63 characters")
            return nil
        }
        return Located(v.text, v.span)
    }

    /// Limits that OpenSSL and the filesystem impose, checked here so `check` reports them with a
    /// span: a certificate's common name has at most 64 characters (E0137); a dir layout's file
    /// name at most 255 bytes (W0010, since only that layout writes one).
    mutating func checkLengths(name: Located<String>?, namespace: Located<String>?, service: Located<String>?,
                               groups: [ServedGroup]?, ca: CASource?) {
        if let service, let namespace {
            let cn = "\(service.value).\(namespace.value).svc"
            if cn.utf8.count > Self.maxCommonName {
                error(.nameTooLongForCertificate, "the serving certificate's name `\(cn)` has \(cn.utf8.count) characters; a common name has at most \(Self.maxCommonName)",
                      service.span, note: "service", labels: [Label(namespace.span, "namespace")],
                      help: "shorten the service or the namespace by \(cn.utf8.count - Self.maxCommonName) characters")
            }
        }
        if let name, ca == .generated, name.value.utf8.count + Self.caSuffix > Self.maxCommonName {
            let most = Self.maxCommonName - Self.caSuffix
            error(.nameTooLongForCertificate, "apiserver name `\(name.value)` has \(name.value.utf8.count) characters; with a generated CA it has at most \(most)",
                  name.span, note: "names the CA `\(name.value)-ca@<time>`", help: "shorten the name to at most \(most) characters")
        }
        for g in groups ?? [] {
            for v in g.versions where "\(v.name.value).\(g.name.value)".utf8.count > Self.maxFileName - Self.fileNameOverhead {
                warn(.nameTooLongForFile, "APIService `\(v.name.value).\(g.name.value)` is too long to be a file name in the dir and kustomize layouts", v.name.span,
                     note: "\("\(v.name.value).\(g.name.value)".utf8.count) characters", help: "use the stream layout (-o FILE), or a shorter group")
            }
        }
    }

    static let maxCommonName = 64
    /// `-ca@` and ten digits of Unix time.
    static let caSuffix = 14
    static let maxFileName = 255
    /// `NN-apiservice.` and `.yaml` around an APIService's name in the dir layout.
    static let fileNameOverhead = 19

    func labelHelp(_ s: String) -> String {
        let fixed = String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(63))
            .trimmingCharacters(in: "-")
        return s.utf8.count > 63 ? "use at most 63 characters" : "use lowercase letters, digits and `-`\(fixed.isEmpty ? "" : ": `\(fixed)`")"
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
