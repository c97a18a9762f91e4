import ExtcSyntax

// `library 1.NN` and `storage sidecar|cluster { ... }`.
extension ServerChecker {
    /// Every field of a `storage` block, with the modes it applies to. One table, checked in one
    /// place (`checkStorage`), like every other block.
    static let storageFields = FieldTable([
        FieldSpec("members"), FieldSpec("size"), FieldSpec("storage-class"), FieldSpec("image"), FieldSpec("prefix"),
        FieldSpec("requests", values: 0...0, block: .required), FieldSpec("limits", values: 0...0, block: .required),
    ])
    static let clusterOnlyStorageFields = ["members", "size", "storage-class"]

    /// The etcd image extc runs when a spec names none: the etcd kubeadm runs for Kubernetes 1.36
    /// (`SupportedEtcdVersion` in cmd/kubeadm/app/constants: 3.6.8-0 for 1.34 to 1.36), so kind
    /// nodes and kubeadm control-plane nodes of those releases have it already; a 3.6 release
    /// serves every `library` version extc knows.
    public static let defaultEtcdImage = "registry.k8s.io/etcd:3.6.8-0"

    mutating func checkLibrary(_ v: Value) -> Located<LibraryVersion>? {
        let text = v.text
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let range = LibraryRBAC.supported
        let known = "extc knows 1.\(range.lowerBound) to 1.\(range.upperBound)"
        guard parts.count == 2, parts[0] == "1", let minor = Int(parts[1]), parts[1].first != "+", String(minor) == parts[1] else {
            let stripped = text.hasPrefix("v") ? String(text.dropFirst()) : text
            let help: String
            if stripped != text, checkableVersion(stripped) { help = "write the version without `v`: `\(stripped)`" }
            else if text.hasPrefix("0."), let m = Int(text.dropFirst(2).prefix { $0 != "." }) {
                help = "k8s.io/apiserver v0.\(m).x is Kubernetes 1.\(m): write `library 1.\(m)`"
            } else { help = "write the Kubernetes minor version the server's go.mod takes k8s.io/apiserver from: `library 1.\(range.upperBound)`" }
            error(.invalidValue, "`library` takes a Kubernetes minor version such as `1.\(range.upperBound)`, found `\(text)`", v.span,
                  note: "not a minor version", help: help)
            return nil
        }
        guard range.contains(minor) else {
            error(.unsupportedLibrary, "library version 1.\(minor) is not supported; \(known)", v.span, note: "no RBAC table for this version",
                  help: minor > range.upperBound ? "use `library 1.\(range.upperBound)` and add what is new with `allow` rules"
                      : "upgrade the server's k8s.io/apiserver, or write its `allow` rules in full")
            return nil
        }
        return Located(LibraryVersion(minor: minor), v.span)
    }

    private func checkableVersion(_ s: String) -> Bool {
        let p = s.split(separator: ".")
        return p.count == 2 && p[0] == "1" && Int(p[1]) != nil
    }

    /// `storage MODE [{ ... }]`; nil (with diagnostics) when anything is wrong.
    mutating func checkStorage(_ e: Entry, name: Located<String>?, group: Located<String>?, replicas: Located<Int>?, replicasGiven: Bool) -> Storage? {
        guard let mode = choice(e.args[0], "storage", Storage.Mode.allCases.map(\.rawValue)).flatMap({ m in
            Storage.Mode(rawValue: m.value).map { Located($0, m.span) }
        }) else { return nil }
        let f = Fields(e.block?.entries ?? [], in: "storage", owner: e.head.span, table: Self.storageFields, diagnostics: &bag)
        var ok = true
        if mode.value == .sidecar {
            for field in Self.clusterOnlyStorageFields { if let entry = f[field] {
                error(.storageFieldForMode, "`\(field)` applies to `storage cluster`, not `storage sidecar`", entry.head.span,
                      note: "a sidecar is one member with an emptyDir", help: "remove it, or write `storage cluster`")
                ok = false
            } }
            if replicasGiven, let r = replicas, r.value > 1 {
                error(.sidecarReplicas, "`storage sidecar` with \(r.value) replicas gives each replica its own etcd", r.span,
                      note: "\(r.value) separate stores", labels: [Label(mode.span, "one etcd per pod")],
                      help: "use `replicas 1`, or `storage cluster` for one etcd that every replica shares")
                ok = false
            }
        }
        let members = f["members"].map { int($0.args[0], "members", 1...5) } ?? Located(mode.value == .cluster ? 3 : 1, mode.span)
        if let m = members, m.value % 2 == 0 {
            error(.invalidValue, "an etcd cluster of \(m.value) members tolerates no more failures than one of \(m.value - 1)", m.span,
                  note: "even member count", help: "use 1, 3 or 5 members")
            ok = false
        }
        let size = f["size"].map { quantity($0.args[0], "size") } ?? Located("8Gi", mode.span)
        let storageClass = f["storage-class"].map { objectName($0.args[0], "storage class", help: "name a StorageClass of the cluster (`kubectl get storageclass`)") }
        let image = f["image"].map { checkImage($0.args[0]) }
            ?? (try? ImageReference.parse(Self.defaultEtcdImage).get()).map { Located($0, mode.span) }
        let prefix = f["prefix"].map { checkPrefix($0.args[0], group: group) } ?? group.map { Located("/registry/\($0.value)", mode.span) }
        let requests = f["requests"].map { checkQuantities($0.block!, "requests") } ?? defaultRequests
        let limits = f["limits"].map { checkQuantities($0.block!, "limits") } ?? defaultLimits
        if let name, !(Names.isDNS1035Label(name.value) && name.value.utf8.count <= EtcdTopology.maxServerName) {
            error(.storageServerName, "with `storage`, the apiserver name must start with a letter and have at most \(EtcdTopology.maxServerName) characters; `\(name.value)` has \(name.value.utf8.count)",
                  name.span, note: "names the etcd Services and StatefulSet", labels: [Label(mode.span, "storage")],
                  help: "rename the apiserver: its etcd is `\(name.value)-etcd`, reached through the Service `\(name.value)-etcd-client`")
            ok = false
        }
        guard ok, let members, let size, let image, let prefix else { return nil }
        if let sc = storageClass { guard sc != nil else { return nil } }
        return Storage(mode: mode, members: members, size: size, storageClass: storageClass ?? nil, image: image,
                       prefix: prefix, requests: requests, limits: limits)
    }

    private mutating func quantity(_ v: Value, _ field: String) -> Located<String>? {
        guard Names.isQuantity(v.text) else {
            error(.invalidQuantity, "`\(v.text)` is not a quantity", v.span, note: "invalid quantity", help: "write a size such as `8Gi`")
            return nil
        }
        return Located(v.text, v.span)
    }

    private mutating func checkPrefix(_ v: Value, group: Located<String>?) -> Located<String>? {
        let t = v.text
        guard t.hasPrefix("/"), t.count > 1, !t.hasSuffix("/"), !t.contains("//"),
              t.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            error(.invalidValue, "etcd prefix `\(t)` is not an absolute key path", v.span, note: "invalid prefix",
                  help: "write a path such as `/registry/\(group?.value ?? "example.com")`, with no trailing `/`")
            return nil
        }
        return Located(t, v.span)
    }
}
