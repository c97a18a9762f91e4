import ExtcSyntax

// The pod: `pod { ... }`, `ports { ... }`, `volume NAME { ... }`, `env { ... }` sources, `command`.
extension ServerChecker {
    static let podFields = FieldTable([
        FieldSpec("annotations", values: 0...0, block: .required), FieldSpec("labels", values: 0...0, block: .required),
        FieldSpec("priority-class"), FieldSpec("node-selector", values: 0...0, block: .required),
        FieldSpec("toleration", values: 1...4, repeatable: true), FieldSpec("host-network", values: 0...0),
        FieldSpec("run-as", values: 1...2), FieldSpec("spread"), FieldSpec("max-surge"), FieldSpec("max-unavailable"),
    ])
    static let volumeFields = FieldTable([
        FieldSpec("empty-dir", values: 0...0), FieldSpec("config-map"), FieldSpec("secret"),
        FieldSpec("files", values: 1...Int.max), FieldSpec("mount"), FieldSpec("read-only", values: 0...0),
    ])

    /// `sidecar`: the server keeps its store in its pod, so a new pod replaces the old one
    /// (`Recreate`) and rolling-update settings do not apply (E0134).
    mutating func checkPod(_ entry: Entry?, replicas: Int, sidecar: Located<Storage.Mode>?) -> PodSettings? {
        let f = Fields(entry?.block?.entries ?? [], in: "pod", owner: entry?.head.span ?? home, table: Self.podFields, diagnostics: &bag)
        let annotations = f["annotations"].map { checkMetadata($0.block!, labels: false) } ?? []
        let labels = f["labels"].map { checkMetadata($0.block!, labels: true) } ?? []
        let nodeSelector = f["node-selector"].map { checkMetadata($0.block!, labels: true) } ?? []
        let priority = f["priority-class"].map { objectName($0.args[0], "priority class", help: "name a PriorityClass, such as `system-cluster-critical`") }
        let tolerations = f.every("toleration").compactMap { checkToleration($0) }
        let identity = f["run-as"].map { checkRunAs($0) } ?? Located(PodIdentity.standard, home)
        let spread = f["spread"].map { choice($0.args[0], "spread", ["nodes", "none"]) }.map { $0?.value == "nodes" } ?? (replicas >= 2)
        let surge = f["max-surge"].map { intOrPercent($0.args[0], "max-surge") }
        let unavailable = f["max-unavailable"].map { intOrPercent($0.args[0], "max-unavailable") }
        for field in ["max-surge", "max-unavailable"] { if let sidecar, let e = f[field] {
            error(.sidecarReplicas, "`\(field)` rolls a `storage sidecar` server's pods, so two pods with two stores would serve at once",
                  e.head.span, note: "no rolling update with a sidecar store", labels: [Label(sidecar.span, "one etcd per pod: its pod is replaced (Recreate)")],
                  help: "remove it, or use `storage cluster`, whose one etcd every pod shares")
        } }
        guard let identity, priority ?? Located("", home) != nil, surge ?? Located("", home) != nil,
              unavailable ?? Located("", home) != nil else { return nil }
        return PodSettings(annotations: annotations, labels: labels, priorityClass: priority ?? nil, nodeSelector: nodeSelector,
                           tolerations: tolerations, hostNetwork: f.has("host-network"), identity: identity, spread: spread,
                           maxSurge: surge ?? nil, maxUnavailable: unavailable ?? nil)
    }

    /// `toleration KEY [Exists | Equal VALUE] [EFFECT]`, or `toleration *` (tolerate everything).
    private mutating func checkToleration(_ e: Entry) -> Toleration? {
        let v = e.args.map(\.text)
        let effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
        if v == ["*"] { return Toleration(key: "", operator: "Exists", value: nil, effect: nil, span: e.span) }
        var rest = v.dropFirst()
        var op = "Exists", value: String? = nil
        if rest.first == "Exists" { rest = rest.dropFirst() }
        else if rest.first == "Equal", rest.count >= 2 { op = "Equal"; value = rest.dropFirst().first; rest = rest.dropFirst(2) }
        let effect = rest.first
        guard Names.isQualifiedName(v[0]), rest.count <= 1, effect.map(effects.contains) ?? true else {
            error(.invalidValue, "`toleration` takes KEY [Exists | Equal VALUE] [EFFECT], found `\(v.joined(separator: " "))`", e.span,
                  note: "malformed toleration", help: "write `toleration CriticalAddonsOnly Exists` or `toleration dedicated Equal infra NoSchedule`; effects: \(effects.joined(separator: ", "))")
            return nil
        }
        return Toleration(key: v[0], operator: op, value: value, effect: effect, span: e.span)
    }

    /// `run-as UID [GID]`, or `run-as platform`.
    private mutating func checkRunAs(_ e: Entry) -> Located<PodIdentity>? {
        if e.args.count == 1, e.args[0].text == "platform" { return Located(.platform, e.args[0].span) }
        guard let uid = int(e.args[0], "run-as", 1...2_147_483_647) else { return nil }
        let gid = e.args.count == 2 ? int(e.args[1], "run-as", 0...2_147_483_647) : uid
        guard let gid else { return nil }
        return Located(.fixed(uid: uid.value, gid: gid.value), e.span)
    }

    private mutating func intOrPercent(_ v: Value, _ field: String) -> Located<String>? {
        let t = v.text, digits = t.hasSuffix("%") ? String(t.dropLast()) : t
        guard let n = Int(digits), n >= 0, String(n) == digits, !t.hasSuffix("%") || n <= 100 else {
            error(.invalidValue, "`\(field)` takes a number of pods or a percentage, found `\(t)`", v.span, note: "invalid value",
                  help: "write `1` or `25%`")
            return nil
        }
        return Located(t, v.span)
    }

    /// `ports { NAME CONTAINER-PORT [SERVICE-PORT] }`.
    mutating func checkPorts(_ block: Block, securePort: Located<Int>?) -> [ExtraPort] {
        var out: [ExtraPort] = []
        var names: [String: Span] = ["https": home], numbers: [Int: Span] = [:]
        if let p = securePort { numbers[p.value] = p.span }
        var servicePorts: [Int: Span] = [443: home]
        for e in block.entries {
            guard e.block == nil, (1...2).contains(e.args.count) else {
                error(.wrongArity, "a port is `NAME CONTAINER-PORT [SERVICE-PORT]`", e.span, note: "malformed port",
                      help: "write `metrics 8080`, or `http 8080 80` for another Service port")
                continue
            }
            let name = e.head
            guard Names.isDNS1035Label(name.text), name.text.utf8.count <= 15 else {
                error(.invalidServiceName, "port name `\(name.text)` is not an IANA service name", name.span, note: "invalid port name",
                      help: "at most 15 lowercase letters, digits and `-`, starting with a letter")
                continue
            }
            guard let cp = int(e.args[0], "port", 1...65535) else { continue }
            let sp = e.args.count == 2 ? int(e.args[1], "port", 1...65535) : cp
            guard let sp else { continue }
            for (what, key, seen) in [("name", name.text, names[name.text]), ("container port", String(cp.value), numbers[cp.value]),
                                      ("Service port", String(sp.value), servicePorts[sp.value])] {
                if let seen {
                    error(.duplicateField, "\(what) `\(key)` is used twice", what == "name" ? name.span : (what == "Service port" ? sp.span : cp.span),
                          note: "used again", labels: [Label(seen, "first used here")], help: "give each port its own name and numbers")
                }
            }
            guard names[name.text] == nil, numbers[cp.value] == nil, servicePorts[sp.value] == nil else { continue }
            names[name.text] = name.span; numbers[cp.value] = cp.span; servicePorts[sp.value] = sp.span
            out.append(ExtraPort(name: Located(name.text, name.span), containerPort: cp, servicePort: sp))
        }
        return out
    }

    /// `volume NAME { empty-dir | config-map NAME | secret NAME | files F...; mount PATH; read-only }`.
    mutating func checkVolume(_ e: Entry) -> Volume? {
        let name = e.args[0]
        let f = Fields(e.block?.entries ?? [], in: "volume `\(name.text)`", owner: name.span, table: Self.volumeFields, diagnostics: &bag)
        guard Names.isDNS1123Label(name.text), !Self.reservedVolumes.contains(name.text) else {
            error(.invalidLabelName, Self.reservedVolumes.contains(name.text) ? "volume name `\(name.text)` is used by extc"
                                     : "volume name `\(name.text)` is not a DNS-1123 label\(Names.tooLong(name.text, 63))", name.span, note: "invalid volume name",
                  help: "pick another name: lowercase letters, digits and `-`")
            return nil
        }
        let sources = ["empty-dir", "config-map", "secret", "files"].compactMap { f[$0] }
        guard sources.count == 1, let s = sources.first else {
            error(sources.isEmpty ? .missingField : .duplicateField,
                  sources.isEmpty ? "volume `\(name.text)` has no source" : "volume `\(name.text)` has \(sources.count) sources",
                  sources.count > 1 ? sources[1].head.span : name.span, note: sources.isEmpty ? "no source" : "a second source",
                  help: "give one of `empty-dir`, `config-map NAME`, `secret NAME`, `files FILE...`")
            return nil
        }
        var source: Volume.Source
        switch s.head.text {
        case "empty-dir": source = .emptyDir
        case "files":
            source = .files(s.args.map(\.text))
            var keys: [String: Span] = [:]
            for a in s.args {
                let key = String(a.text.split(separator: "/").last ?? "")
                if let first = keys[key] {
                    error(.duplicateField, "two files would both be the ConfigMap key `\(key)`", a.span, note: "same file name",
                          labels: [Label(first, "first here")], help: "rename one: a file's key is its name, without directories")
                } else if !Names.isConfigMapKey(key) {
                    error(.invalidValue, "`\(key)` is not a ConfigMap key", a.span, note: "invalid key", help: "use letters, digits, `-`, `_` and `.`")
                }
                keys[key] = keys[key] ?? a.span
            }
        default:
            let kind = s.head.text == "secret" ? "Secret" : "ConfigMap"
            guard let ref = objectName(s.args[0], "\(kind) name", help: "name an existing \(kind) in the namespace") else { return nil }
            source = s.head.text == "secret" ? .secret(ref.value) : .configMap(ref.value)
        }
        guard let mount = f["mount"] else {
            error(.missingField, "volume `\(name.text)` has no `mount`", name.span, note: "not mounted", help: "add `mount /path/in/the/container`")
            return nil
        }
        guard let path = checkMountPath(mount.args[0]) else { return nil }
        let readOnly = f.has("read-only") || source != .emptyDir
        return Volume(name: Located(name.text, name.span), source: Located(source, s.span), mountPath: path, readOnly: readOnly)
    }

    /// Volume names extc gives its own volumes.
    static let reservedVolumes = ["serving-cert", "tmp", "etcd-client", "etcd-tls", "etcd-data"]

    mutating func checkMountPath(_ v: Value) -> Located<String>? {
        let t = v.text
        guard t.hasPrefix("/"), !t.contains("//"), !t.split(separator: "/").contains(".."), t.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3A }) else {
            error(.invalidValue, "mount path `\(t)` is not an absolute path", v.span, note: "invalid path",
                  help: "write an absolute path without `..` or `:`, such as `/etc/config`")
            return nil
        }
        return Located(t, v.span)
    }

    /// `command A...`; and W0007 when, without one, the first arg is not a flag: extc's flags come
    /// first in args, so an image whose entrypoint is a shell would take them as the binary.
    mutating func checkCommand(_ command: Entry?, args: [Located<String>?], argValues: [Value]) -> [Located<String>] {
        if command == nil, let first = argValues.first, !first.text.hasPrefix("-") {
            warn(.argNotFlag, "the first arg `\(first.text)` is not a flag, and extc's flags come before it", first.span,
                 note: "after extc's --secure-port and certificate flags",
                 help: "if it names the binary (an image without an entrypoint), write `command \(first.text)` and leave it out of `args`")
        }
        return command?.args.map { Located($0.text, $0.span) } ?? []
    }
}
