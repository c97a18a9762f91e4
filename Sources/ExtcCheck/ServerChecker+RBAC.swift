import ExtcSyntax

// Served resources and their verbs; the server's own RBAC rules.
extension ServerChecker {
    static let resourceFields = FieldTable([FieldSpec("verbs", values: 1...Int.max), FieldSpec("scope")])

    /// The rules a server built on k8s.io/apiserver at `library` needs (LibraryRBAC's row).
    func defaultRules(_ library: LibraryVersion, at span: Span) -> [PolicyRule] {
        LibraryRBAC.rules(for: library).map { PolicyRule(apiGroups: [$0.group], resources: $0.resources, verbs: $0.verbs, span: span) }
    }

    mutating func checkVerbs(_ values: [Value], allowed: [String]) -> [Located<String>] {
        var out: [Located<String>] = []
        for v in values {
            guard allowed.contains(v.text) else {
                error(.unknownVerb, "unknown verb `\(v.text)`", v.span, note: "not a verb",
                      help: Suggest.help(for: v.text, in: allowed) ?? "verbs: \(allowed.joined(separator: ", "))")
                continue
            }
            if v.text == "*" {
                warn(.wildcardVerb, "`*` grants every verb, including future ones", v.span, note: "wildcard",
                     help: "list the verbs: \(KnownAPIs.resourceVerbs.dropLast().joined(separator: " "))")
            }
            if !out.contains(where: { $0.value == v.text }) { out.append(Located(v.text, v.span)) }
        }
        return out
    }

    mutating func checkResources(_ entries: [Entry], defaultVerbs: [Located<String>]?) -> [ServedResource] {
        var seen: [String: Span] = [:]
        var out: [ServedResource] = []
        for e in entries {
            let v = e.args[0]
            if let first = seen[v.text] {
                error(.duplicateResource, "resource `\(v.text)` is declared twice", v.span, note: "declared again",
                      labels: [Label(first, "first declared here")], help: "merge the two declarations")
                continue
            }
            seen[v.text] = v.span
            guard Self.isServedResource(v.text) else {
                error(.invalidServiceName, "resource name `\(v.text)` is not a DNS-1035 label\(Names.tooLong(v.text, 63))", v.span, note: "invalid resource name",
                      help: Self.resourceHelp(v.text))
                continue
            }
            let f = Fields(e.block?.entries ?? [], in: "resource `\(v.text)`", owner: v.span, table: Self.resourceFields, diagnostics: &bag)
            let scope = f["scope"].map { choice($0.args[0], "scope", ["namespaced", "cluster"]) } ?? Located("namespaced", v.span)
            let verbs = f["verbs"].map { checkVerbs($0.args, allowed: KnownAPIs.resourceVerbs) } ?? defaultVerbs
            if verbs == nil, !f.has("verbs") {
                error(.missingField, "resource `\(v.text)` has no verbs", v.span, note: "no verbs",
                      help: "add `resource \(v.text) { verbs get list watch }`, or `verbs ...` in the apiserver for every resource")
            }
            guard let scope, let verbs, !verbs.isEmpty else { continue }
            out.append(ServedResource(name: Located(v.text, v.span), scope: scope.value == "cluster" ? .cluster : .namespaced, verbs: verbs))
        }
        return out
    }

    /// `allow default`, or `allow GROUP RESOURCE... { VERB... }`.
    mutating func checkAllow(_ e: Entry, library: LibraryVersion) -> [PolicyRule] {
        if e.args.count == 1, e.args[0].kind == .word, e.args[0].text == "default" {
            if let b = e.block { error(.blockMismatch, "`allow default` takes no block", b.open, note: "unexpected block", help: "remove the block") }
            return defaultRules(library, at: e.span)
        }
        guard e.args.count >= 2, let block = e.block else {
            error(.wrongArity, "`allow` takes an API group, resources and a block of verbs", e.head.span, note: "incomplete rule",
                  help: "write `allow \"\" namespaces { get list watch }` (\"\" is the core group), or `allow default`")
            return []
        }
        let group = e.args[0]
        var ok = true
        if group.text == "core" || !(group.text.isEmpty || group.text == "*" || Names.isDNS1123Subdomain(group.text)) {
            error(.invalidSubdomain, "`\(group.text)` is not an API group", group.span, note: "invalid group",
                  help: group.text == "core" ? "the core group is written \"\"" : "write a DNS subdomain, \"\" for the core group, or `*`")
            ok = false
        }
        for r in e.args.dropFirst() where !Self.isRuleResource(r.text) {
            error(.invalidValue, "`\(r.text)` is not a resource name", r.span, note: "invalid resource",
                  help: "write a lowercase plural, optionally with a subresource (`pods/status`), or `*`")
            ok = false
        }
        let words = block.entries.flatMap { [$0.head] + $0.args }
        for inner in block.entries where inner.block != nil {
            error(.blockMismatch, "verbs take no block", inner.block!.open, note: "unexpected block", help: "list verbs: `{ get list watch }`")
            ok = false
        }
        let verbs = checkVerbs(words, allowed: KnownAPIs.ruleVerbs)
        if words.isEmpty {
            error(.missingField, "`allow` rule has no verbs", block.open, note: "empty", help: "list verbs: `{ get list watch }`")
        }
        guard ok, verbs.count == Set(words.map(\.text)).count, !verbs.isEmpty else { return [] }
        return [PolicyRule(apiGroups: [group.text], resources: e.args.dropFirst().map(\.text), verbs: verbs.map(\.value), span: e.span)]
    }

    /// A served resource: a lowercase plural (DNS-1035 label), optionally with a subresource
    /// (`pods/metrics`), or `*` (every resource of the group, as metrics adapters serve them).
    static func isServedResource(_ s: String) -> Bool {
        if s == "*" { return true }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { Names.isDNS1035Label(String($0)) }
    }

    /// Help for an invalid resource name that passes the check itself: only valid suggestions.
    static func resourceHelp(_ s: String) -> String {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            let lowered = String(part.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
            return String(lowered.drop { !$0.isLetter }).trimmingCharacters(in: "-")
        }
        let fixed = parts.filter { !$0.isEmpty }.prefix(2).joined(separator: "/")
        let example = isServedResource(fixed) && fixed != s ? ": `\(fixed)`" : ", such as `flunders`"
        return "a resource is a lowercase plural, optionally with a subresource (`pods/metrics`), or `*`\(example)"
    }

    static func isRuleResource(_ s: String) -> Bool {
        if s == "*" { return true }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count <= 2 && parts.allSatisfy { p in
            p == "*" || (!p.isEmpty && p.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") })
        }
    }
}
