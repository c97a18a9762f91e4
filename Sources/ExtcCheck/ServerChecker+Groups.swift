import ExtcSyntax

// What a server serves: `group G` (with the server's `versions`, `resource`s and priorities), or
// one or more `group G { ... }` blocks, each with its own.
extension ServerChecker {
    static let groupFields = FieldTable([
        FieldSpec("versions", values: 1...Int.max), FieldSpec("verbs", values: 1...Int.max),
        FieldSpec("resource", block: .optional, repeatable: true), FieldSpec("group-priority"),
        FieldSpec("version-priority", values: 1...2, repeatable: true),
    ])

    /// The served groups; nil when any is wrong. The shorthand (`group G` without a block) takes
    /// `versions`, `verbs`, `resource`, `group-priority` and `version-priority` from the server
    /// block; with blocks those belong inside each group, and at the server level are an error.
    mutating func checkGroups(_ f: Fields) -> [ServedGroup]? {
        let entries = f.every("group")
        let shorthand = f.every("versions") + f.every("verbs") + f.every("resource") + f.every("group-priority") + f.every("version-priority")
        guard !entries.isEmpty else {
            // No usable group (already reported): still check what the shorthand fields say.
            f.require("versions", in: context, example: "versions v1alpha1", diagnostics: &bag)
            _ = one(nil, entries: shorthand, owner: home, shorthand: true)
            return nil
        }
        let blocks = entries.filter { $0.block != nil }
        if blocks.isEmpty {
            guard entries.count == 1 else {
                error(.duplicateField, "`group` is given twice in \(context)", entries[1].head.span, note: "given again",
                      labels: [Label(entries[0].head.span, "first given here")],
                      help: "a server of several groups gives each its own block: `group a.example.com { versions v1; resource ... }`")
                return nil
            }
            f.require("versions", in: context, example: "versions v1alpha1", diagnostics: &bag)
            return one(entries[0].args[0], entries: shorthand, owner: home, shorthand: true).map { [$0] }
        }
        for e in entries where e.block == nil {
            error(.blockMismatch, "`group \(e.args[0].text)` needs a block when another group has one", e.head.span,
                  note: "no `{ ... }` follows", help: "give every group its block: `group \(e.args[0].text) { versions v1; resource ... }`")
        }
        for field in ["versions", "verbs", "resource", "group-priority", "version-priority"] {
            for e in f.every(field) {
                error(.unknownField, "`\(field)` belongs inside a `group { ... }` block when groups have blocks", e.head.span,
                      note: "at the server level", labels: [Label(blocks[0].head.span, "groups are declared here")],
                      help: "move it into the group it applies to")
            }
        }
        var seen: [String: Span] = [:]
        var out: [ServedGroup] = []
        for e in blocks {
            if let first = seen[e.args[0].text] {
                error(.duplicateField, "group `\(e.args[0].text)` is declared twice", e.args[0].span, note: "declared again",
                      labels: [Label(first, "first declared here")], help: "merge the two blocks")
                continue
            }
            seen[e.args[0].text] = e.args[0].span
            if let g = one(e.args[0], entries: e.block!.entries, owner: e.args[0].span, shorthand: false) { out.append(g) }
        }
        return bag.hasErrors || out.count != blocks.count || blocks.count != entries.count ? nil : out
    }

    /// One group's fields; `value` nil when the group's name could not be read (the rest is still checked).
    private mutating func one(_ value: Value?, entries: [Entry], owner: Span, shorthand: Bool) -> ServedGroup? {
        let name = value.flatMap { checkGroup($0) }
        let where_ = shorthand ? context : "group `\(value?.text ?? "")`"
        let g = Fields(entries, in: where_, owner: owner, table: Self.groupFields, diagnostics: &bag)
        if !shorthand { g.require("versions", in: where_, example: "versions v1", diagnostics: &bag) }
        if !g.has("resource") {
            error(.missingField, "\(where_) serves no resource", owner, note: "no `resource` entry",
                  help: "add `resource NAME { verbs get list watch }`")
        }
        let versions = g["versions"].flatMap { checkVersions($0.args, group: name) }
        let defaultVerbs = g["verbs"].map { checkVerbs($0.args, allowed: KnownAPIs.resourceVerbs) }
        let resources = checkResources(g.every("resource"), defaultVerbs: defaultVerbs)
        let groupPriority = g["group-priority"].map { int($0.args[0], "group-priority", 1...20000) } ?? Located(1000, owner)
        let priorities = versionPriorities(g.every("version-priority"), versions: versions ?? [], owner: owner)
        guard let name, let versions, let groupPriority, let priorities, g.has("versions") else { return nil }
        return ServedGroup(name: name, versions: versions.map { ServedVersion(name: $0, priority: priorities($0.value)) },
                           resources: resources, groupPriorityMinimum: groupPriority)
    }

    /// `version-priority N` (every version) and `version-priority VERSION N` (one version).
    private mutating func versionPriorities(_ entries: [Entry], versions: [Located<String>], owner: Span) -> ((String) -> Located<Int>)? {
        var all = Located(15, owner)
        var each: [String: Located<Int>] = [:]
        var ok = true
        for e in entries {
            if e.args.count == 1 {
                guard let n = int(e.args[0], "version-priority", 1...1000) else { ok = false; continue }
                all = n
                continue
            }
            guard versions.contains(where: { $0.value == e.args[0].text }) else {
                error(.invalidVersion, "`\(e.args[0].text)` is not one of this group's versions", e.args[0].span, note: "unknown version",
                      help: Suggest.help(for: e.args[0].text, in: versions.map(\.value)) ?? "versions here: \(versions.map(\.value).joined(separator: ", "))")
                ok = false
                continue
            }
            guard let n = int(e.args[1], "version-priority", 1...1000) else { ok = false; continue }
            each[e.args[0].text] = n
        }
        let fallback = all
        return ok ? { each[$0] ?? fallback } : nil
    }

    /// `user-roles { view NAME; edit NAME }`.
    mutating func checkUserRoles(_ e: Entry?) -> UserRoleNames {
        guard let block = e?.block else { return UserRoleNames(view: nil, edit: nil) }
        let f = Fields(block.entries, in: "user-roles", owner: e!.head.span, table: FieldTable([FieldSpec("view"), FieldSpec("edit")]),
                       diagnostics: &bag)
        let help = "a role name has no `/` or `%` and is not `.` or `..`: `system:aggregated-metrics-reader`"
        return UserRoleNames(view: rbacName(f["view"], "ClusterRole", help: help), edit: rbacName(f["edit"], "ClusterRole", help: help))
    }

    /// `rbac-names { role NAME; auth-delegator NAME; auth-reader NAME }`; each field optional.
    mutating func checkRBACNames(_ e: Entry?) -> RBACNames {
        guard let block = e?.block else { return .none }
        let table = FieldTable([FieldSpec("role"), FieldSpec("auth-delegator"), FieldSpec("auth-reader")])
        let f = Fields(block.entries, in: "rbac-names", owner: e!.head.span, table: table, diagnostics: &bag)
        let help = "an RBAC object's name has no `/` or `%` and is not `.` or `..`: `system:metrics-server`"
        return RBACNames(role: rbacName(f["role"], "ClusterRole", help: help),
                         authDelegator: rbacName(f["auth-delegator"], "ClusterRoleBinding", help: help),
                         authReader: rbacName(f["auth-reader"], "RoleBinding", help: help))
    }

    /// The name an RBAC field gives (a path segment name, as the API server requires), if valid.
    private mutating func rbacName(_ entry: Entry?, _ kind: String, help: String) -> Located<String>? {
        guard let v = entry?.args[0] else { return nil }
        guard Names.isRoleName(v.text) else {
            error(.invalidValue, "`\(v.text)` is not a \(kind) name", v.span, note: "invalid name", help: help)
            return nil
        }
        return Located(v.text, v.span)
    }

    /// `service-account NAME [existing]`; default: the server's name, created.
    mutating func checkServiceAccount(_ e: Entry?, name: Located<String>?) -> (Located<String>?, Bool) {
        guard let e else { return (name, true) }
        let create = !existing(e, "service-account", help: "to run as an account that already exists")
        return (objectName(e.args[0], "ServiceAccount name", help: "use lowercase letters, digits, `-` and `.`"), create)
    }

    /// `acknowledge W0003 ...`: warnings this server means to keep; only warning codes.
    mutating func checkAcknowledge(_ e: Entry) -> [Located<DiagnosticCode>] {
        e.args.compactMap { v in
            guard let code = DiagnosticCode(code: v.text), code.severity == .warning else {
                let known = DiagnosticCode(code: v.text) != nil
                error(.invalidValue, known ? "`\(v.text)` is an error; only warnings can be acknowledged" : "`\(v.text)` is not a warning code",
                      v.span, note: known ? "an error" : "unknown code",
                      help: known ? "fix what it reports" : "warning codes are W0001 to W\(DiagnosticCode.allCases.filter { $0.severity == .warning }.last!.rawValue.dropFirst()); `extc explain --list` lists them")
                return nil
            }
            return Located(code, v.span)
        }
    }

    mutating func checkVolumes(_ entries: [Entry]) -> [Volume] {
        var names: [String: Span] = [:], paths: [String: Span] = [:]
        var out: [Volume] = []
        for e in entries {
            guard let v = checkVolume(e) else { continue }
            if let first = names[v.name.value] {
                error(.duplicateField, "volume `\(v.name.value)` is declared twice", v.name.span, note: "declared again",
                      labels: [Label(first, "first declared here")], help: "give each volume its own name")
                continue
            }
            let reserved = ["/tmp", "/var/run/extc"]
            if let first = paths[v.mountPath.value] ?? reserved.first(where: { v.mountPath.value == $0 || v.mountPath.value.hasPrefix("/var/run/extc/") }).map({ _ in home }) {
                error(.duplicateField, "mount path `\(v.mountPath.value)` is already used", v.mountPath.span, note: "mounted twice",
                      labels: first == home ? [] : [Label(first, "first mounted here")],
                      help: "extc mounts /tmp and /var/run/extc/...; pick another path")
                continue
            }
            names[v.name.value] = v.name.span
            paths[v.mountPath.value] = v.mountPath.span
            out.append(v)
        }
        return out
    }
}
