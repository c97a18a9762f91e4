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

    /// Per API group, one rule per distinct verb set, resources in declaration order.
    private func rules(_ pick: ([String]) -> [String]) -> [Node] {
        server.groups.flatMap { group -> [Node] in
            var sets: [(verbs: [String], resources: [String])] = []
            for r in group.resources {
                let verbs = pick(r.verbs.map(\.value))
                guard !verbs.isEmpty else { continue }
                if let i = sets.firstIndex(where: { $0.verbs == verbs }) { sets[i].resources.append(r.name.value) }
                else { sets.append((verbs, [r.name.value])) }
            }
            return sets.map { set in
                ["apiGroups": [.string(group.name.value)], "resources": .list(set.resources.map(Node.string)),
                 "verbs": .list(set.verbs.map(Node.string))]
            }
        }
    }

    private func userRole(_ name: String, aggregateTo: [String], rules: [Node]) -> KubeObject {
        let aggregation = aggregateTo.map { ("rbac.authorization.k8s.io/aggregate-to-\($0)", "true") }
        return object("rbac.authorization.k8s.io/v1", "ClusterRole", name, namespace: nil,
                      origin: server.groups.first?.resources.first?.name.span ?? server.span, labels: aggregation, [("rules", .list(rules))])
    }
}
