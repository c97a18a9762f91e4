import ExtcSyntax

// The Deployment's inputs: image, args, env, requests and limits.
extension ServerChecker {
    var defaultRequests: [KeyValue] {
        [KeyValue(key: Located("cpu", home), value: Located("100m", home)),
         KeyValue(key: Located("memory", home), value: Located("128Mi", home))]
    }

    var defaultLimits: [KeyValue] { [KeyValue(key: Located("memory", home), value: Located("512Mi", home))] }

    mutating func checkImage(_ v: Value) -> Located<ImageReference>? {
        switch ImageReference.parse(v.text) {
        case .failure(let e):
            error(.invalidImage, "malformed image reference `\(v.text)`", v.span, note: e.reason,
                  help: "write `[registry[:port]/]path[:tag][@sha256:<digest>]`, such as `registry.example.com/server:v1.0.0`")
            return nil
        case .success(let ref):
            if ref.digest == nil, ref.tag == nil || ref.tag == "latest" {
                warn(.unpinnedImage, ref.tag == nil ? "image `\(v.text)` has no tag" : "image `\(v.text)` uses the `latest` tag",
                     v.span, note: "not pinned", help: "pin a version tag or a digest: `\(ref.repository):v1.0.0`")
            }
            return Located(ref, v.span)
        }
    }

    /// nil (with a diagnostic) for an argument that fights extc or switches off delegated auth.
    mutating func checkArg(_ v: Value, storage: Entry?, serving: ServingDialect?) -> Located<String>? {
        let text = v.text
        guard text.hasPrefix("--") else { return Located(text, v.span) }
        let parts = text.split(separator: "=", maxSplits: 1)
        let flag = String(parts[0])
        if let storage, KnownAPIs.storageFlags.contains(flag) {
            error(.argConflictsWithManaged, "`\(flag)` is set by extc for `storage \(storage.args.first?.text ?? "")`", v.span,
                  note: "managed by extc", labels: [Label(storage.head.span, "the etcd extc makes")],
                  help: flag == "--etcd-prefix" ? "set it with `prefix` in the storage block" : "remove this argument; extc connects the server to its etcd with mutual TLS")
            return nil
        }
        if let serving, serving.managedFlags.contains(flag) {
            error(.argConflictsWithManaged, "`\(flag)` is set by extc", v.span, note: "managed by extc",
                  help: flag == serving.portFlag.value ? "set the port with the `port` field"
                      : "extc mounts the serving certificate and passes it with this flag; remove this argument (`serving { ... }` names the flags)")
            return nil
        }
        if KnownAPIs.delegatedAuthOffFlags.contains(flag) {
            let value = parts.count == 2 ? parts[1].lowercased() : "true"
            if ["true", "1", "t"].contains(value) {
                error(.argDisablesDelegatedAuth, "`\(flag)` switches off delegated authentication", v.span,
                      note: "unsafe argument",
                      help: "remove it; the generated RoleBinding lets the server read extension-apiserver-authentication")
                return nil
            }
        }
        return Located(text, v.span)
    }

    /// `NAME VALUE`, `NAME field PATH`, `NAME secret NAME KEY`, `NAME config-map NAME KEY`.
    mutating func checkEnv(_ block: Block) -> [EnvVar] {
        var seen: [String: Span] = [:]
        var out: [EnvVar] = []
        for e in block.entries {
            let key = e.head
            guard Names.isEnvName(key.text) else {
                error(.invalidEnvName, "`\(key.text)` is not an environment variable name", key.span, note: "invalid name",
                      help: "use letters, digits and `_`, not starting with a digit")
                continue
            }
            if let first = seen[key.text] {
                error(.duplicateField, "environment variable `\(key.text)` is given twice", key.span, note: "given again",
                      labels: [Label(first, "first given here")], help: "keep one of them")
                continue
            }
            seen[key.text] = key.span
            guard let source = envSource(e) else { continue }
            out.append(EnvVar(name: Located(key.text, key.span), source: source))
        }
        return out
    }

    private mutating func envSource(_ e: Entry) -> Located<EnvSource>? {
        let a = e.args
        let span = a.first.map { $0.span.to(a.last!.span) } ?? e.head.span
        if let b = e.block {
            error(.blockMismatch, "an environment variable takes no block", b.open, note: "unexpected block", help: "write `NAME VALUE`")
            return nil
        }
        switch (a.first?.kind == .word ? a.first?.text : nil, a.count) {
        case (_, 1): return Located(.value(a[0].text), span)
        case ("field", 2):
            let fields = ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
                          "status.hostIP", "status.podIP", "status.podIPs"]
            let isLabel = a[1].text.hasPrefix("metadata.labels['") || a[1].text.hasPrefix("metadata.annotations['")
            guard fields.contains(a[1].text) || isLabel else {
                error(.invalidValue, "`\(a[1].text)` is not a pod field the downward API gives", a[1].span, note: "unknown field",
                      help: Suggest.help(for: a[1].text, in: fields) ?? "fields: \(fields.joined(separator: ", "))")
                return nil
            }
            return Located(.field(a[1].text), span)
        case ("secret", 3), ("config-map", 3):
            guard Names.isDNS1123Subdomain(a[1].text), Names.isConfigMapKey(a[2].text) else {
                error(.invalidValue, "`\(a[0].text) \(a[1].text) \(a[2].text)` does not name an object and a key", span, note: "invalid reference",
                      help: "write `NAME \(a[0].text) OBJECT KEY`, such as `TOKEN secret api-token token`")
                return nil
            }
            return Located(a[0].text == "secret" ? .secret(name: a[1].text, key: a[2].text) : .configMap(name: a[1].text, key: a[2].text), span)
        default:
            error(.wrongArity, "an environment variable is `NAME VALUE`, `NAME field PATH`, or `NAME secret|config-map NAME KEY`",
                  a.count > 0 ? span : e.head.span, note: a.isEmpty ? "value missing" : "unexpected values",
                  help: "quote a value with spaces or an empty one: \"\"")
            return nil
        }
    }

    mutating func checkQuantities(_ block: Block, _ field: String) -> [KeyValue] {
        let names = ["cpu", "memory", "ephemeral-storage"]
        return pairs(block, what: "resource") { me, key in
            guard names.contains(key.text) else {
                me.error(.unknownField, "unknown resource `\(key.text)` in `\(field)`", key.span, note: "not a resource",
                         help: Suggest.help(for: key.text, in: names) ?? "resources: cpu, memory, ephemeral-storage")
                return false
            }
            return true
        } value: { me, v in
            guard Names.isQuantity(v.text) else {
                me.error(.invalidQuantity, "`\(v.text)` is not a quantity", v.span, note: "invalid quantity",
                         help: "write a number with an optional suffix: `100m`, `0.5`, `128Mi`, `1Gi`")
                return false
            }
            return true
        }
    }

    /// Labels or annotations. `reservedAllowed`: extc's own label keys may be given (a selector
    /// being adopted may use them).
    mutating func checkMetadata(_ block: Block, labels: Bool, reservedAllowed: Bool = false) -> [KeyValue] {
        let what = labels ? "label" : "annotation"
        return pairs(block, what: what) { me, key in
            guard Names.isQualifiedName(key.text) else {
                me.error(.invalidMetadata, "`\(key.text)` is not a valid \(what) key", key.span, note: "invalid key",
                         help: "write `[prefix/]name`: a DNS subdomain prefix, a name of letters, digits, `-_.`")
                return false
            }
            if labels, !reservedAllowed, ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"].contains(key.text) {
                me.error(.reservedLabel, "label `\(key.text)` is set by extc", key.span, note: "reserved",
                         help: "use another key, such as `app.kubernetes.io/part-of`")
                return false
            }
            return true
        } value: { me, v in
            guard !labels || Names.isLabelValue(v.text) else {
                me.error(.invalidMetadata, "`\(v.text)` is not a valid label value", v.span, note: "invalid value",
                         help: "at most 63 letters, digits, `-_.`, starting and ending alphanumerically; or use an annotation")
                return false
            }
            return true
        }
    }

    /// `KEY VALUE` entries of a block; keys are unique.
    private mutating func pairs(_ block: Block, what: String, key: (inout ServerChecker, Value) -> Bool,
                                value: (inout ServerChecker, Value) -> Bool) -> [KeyValue] {
        let a = "aeiou".contains(what.first!) ? "an" : "a"
        var seen: [String: Span] = [:]
        var out: [KeyValue] = []
        for e in block.entries {
            if let b = e.block {
                error(.blockMismatch, "\(a) \(what) takes no block", b.open, note: "unexpected block", help: "write `KEY VALUE`")
                continue
            }
            guard e.args.count == 1 else {
                error(.wrongArity, "\(a) \(what) takes one value, found \(e.args.count)", e.args.count > 1 ? e.args[1].span : e.head.span,
                      note: e.args.isEmpty ? "value missing" : "extra value", help: "write `KEY VALUE`; quote a value with spaces or an empty one: \"\"")
                continue
            }
            if let first = seen[e.head.text] {
                error(.duplicateField, "\(what) `\(e.head.text)` is given twice", e.head.span, note: "given again",
                      labels: [Label(first, "first given here")], help: "keep one of them")
                continue
            }
            seen[e.head.text] = e.head.span
            guard key(&self, e.head), value(&self, e.args[0]) else { continue }
            out.append(KeyValue(key: Located(e.head.text, e.head.span), value: Located(e.args[0].text, e.args[0].span)))
        }
        return out
    }
}
