import ExtcCheck

// ClusterRoles for the users of the new API, aggregated into the built-in view/edit/admin roles.
extension ServerLowering {
    func userRoles() -> [KubeObject] {
        let read = KnownAPIs.readVerbs
        let view = rules { verbs in verbs.contains("*") ? read : read.filter(verbs.contains) }
        let edit = rules { verbs in verbs.contains("*") ? ["*"] : verbs.filter { !read.contains($0) } }
        var out: [KubeObject] = []
        if !view.isEmpty { out.append(userRole(n.viewRole, aggregateTo: ["view"], rules: view)) }
        if !edit.isEmpty { out.append(userRole(n.editRole, aggregateTo: ["edit", "admin"], rules: edit)) }
        return out
    }

    /// One rule per distinct verb set, resources in declaration order.
    private func rules(_ pick: ([String]) -> [String]) -> [Node] {
        var groups: [(verbs: [String], resources: [String])] = []
        for r in server.resources {
            let verbs = pick(r.verbs.map(\.value))
            guard !verbs.isEmpty else { continue }
            if let i = groups.firstIndex(where: { $0.verbs == verbs }) { groups[i].resources.append(r.name.value) }
            else { groups.append((verbs, [r.name.value])) }
        }
        return groups.map { g in
            ["apiGroups": [.string(server.group.value)], "resources": .list(g.resources.map(Node.string)),
             "verbs": .list(g.verbs.map(Node.string))]
        }
    }

    private func userRole(_ name: String, aggregateTo: [String], rules: [Node]) -> KubeObject {
        let aggregation = aggregateTo.map { ("rbac.authorization.k8s.io/aggregate-to-\($0)", "true") }
        return object("rbac.authorization.k8s.io/v1", "ClusterRole", name, namespace: nil,
                      origin: server.resources.first?.name.span ?? server.span, labels: aggregation, [("rules", .list(rules))])
    }
}
