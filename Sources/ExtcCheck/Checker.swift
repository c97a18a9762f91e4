import ExtcSyntax

/// Turns parsed files into the typed IR, reporting every error and warning it finds.
///
/// The result's program is nil when any error was reported; warnings alone keep it.
public enum Checker {
    public static func check(_ files: [FileSyntax]) -> (program: Program?, diagnostics: [Diagnostic]) {
        combine(files.map(checkFile))
    }

    /// One file's servers and findings. Depends on the file alone, so a caller may keep it while
    /// the file's bytes stay the same (a watch does).
    public static func checkFile(_ file: FileSyntax) -> FileCheck {
        var bag = DiagnosticBag()
        var servers: [APIServer] = []
        for entry in file.entries {
            guard entry.head.kind == .word, entry.head.text == "apiserver" else {
                bag.add(Diagnostic(.unknownKeyword, "expected `apiserver`, found `\(entry.head.text)`", at: entry.head.span,
                                   note: "not a top-level keyword",
                                   help: Suggest.help(for: entry.head.text, in: ["apiserver"]) ?? "a file holds `apiserver NAME { ... }` blocks"))
                continue
            }
            if let s = ServerChecker.check(entry, diagnostics: &bag) { servers.append(s) }
        }
        return FileCheck(servers: servers, keys: servers.map(CrossKeys.init), diagnostics: bag.items)
    }

    /// The program of every file's servers, with the findings across files.
    /// `index`: the names compared last time (a watch's), so only the files that changed are
    /// compared again; the findings are the same either way.
    /// `changed`: the only places in `checks` whose check is not the one the index saw last (a
    /// watch's compile knows them); then no other file's check is read.
    public static func combine(_ checks: [FileCheck], index: CrossIndex? = nil, changed: [Int]? = nil) -> (program: Program?, diagnostics: [Diagnostic]) {
        if let index, let changed, let order = index.update(checks, at: changed) {
            let ds = index.noisy.flatMap { checks[$0].diagnostics }
            return (ds.contains(where: \.isError) ? nil : Program(ordered: order, readers: index.readers), ds.sortedBySource())
        }
        var bag = DiagnosticBag()
        for c in checks { bag.add(contentsOf: c.diagnostics) }
        var ordered = index?.update(checks) == true ? index?.programOrder : nil
        if ordered == nil {
            let servers = checks.flatMap(\.servers), keys = checks.flatMap(\.keys), before = bag.items.count
            var tables = CrossTables(servers: servers.count, keys: keys)
            for (s, k) in zip(servers, keys) { tables.add(s, k, &bag) }
            ordered = Program.order(servers)
            index?.reset(checks, tables, clean: bag.items.count == before, order: ordered!)
        }
        let ds = bag.items.sortedBySource()
        return (bag.hasErrors ? nil : Program(ordered: ordered!), ds)
    }

    /// What `checkFile` found in one file. A class: its identity says which file check a combine
    /// saw (`CrossIndex`).
    public final class FileCheck: Sendable {
        public let servers: [APIServer]
        /// Each server's names that must be unique across servers, in `servers`' order.
        let keys: [CrossKeys]
        public let diagnostics: [Diagnostic]

        init(servers: [APIServer], keys: [CrossKeys], diagnostics: [Diagnostic]) {
            (self.servers, self.keys, self.diagnostics) = (servers, keys, diagnostics)
        }
    }

    /// The names of one server that no other may share, made once when its file is checked (a
    /// watch then compares a thousand servers' names without building a string).
    struct CrossKeys: Sendable {
        /// `VERSION.GROUP`, with the version's span.
        let apiServices: [(name: String, span: Span)]
        /// `APIServer.rbacObjects`.
        let rbac: [(key: String, name: Located<String>)]
        /// `NAMESPACE/SERVICE`.
        let service: String

        init(_ s: APIServer) {
            apiServices = s.groups.flatMap { g in g.versions.map { v in ("\(v.name.value).\(g.name.value)", v.name.span) } }
            rbac = s.rbacObjects
            service = "\(s.namespace.value)/\(s.service.value)"
        }
    }

    /// Every name that no two servers may share, with where it was first seen: the findings that
    /// involve two servers (possibly in two files).
    struct CrossTables {
        var names: [String: Span]
        var apiServices: [String: Span]
        var services: [String: Span]
        /// Where each RBAC object was named, and the server whose default name it is (nil: given).
        var rbac: [String: (Span, String?)]

        init(servers: Int, keys: [CrossKeys]) {
            names = Dictionary(minimumCapacity: servers)
            apiServices = Dictionary(minimumCapacity: keys.reduce(0) { $0 + $1.apiServices.count })
            services = Dictionary(minimumCapacity: servers)
            rbac = Dictionary(minimumCapacity: keys.reduce(0) { $0 + $1.rbac.count })
        }

        /// Records one server's names, reporting each that an earlier server has already.
        mutating func add(_ s: APIServer, _ k: CrossKeys, _ bag: inout DiagnosticBag) {
            /// Records `key` at `span`, or reports the clash with where it was first seen.
            func once(_ seen: inout [String: Span], _ key: String, _ span: Span, _ clash: (Span) -> Diagnostic) {
                if let first = seen[key] { bag.add(clash(first)) } else { seen[key] = span }
            }
            let duplicate = names[s.name.value] != nil
            once(&names, s.name.value, s.name.span) { first in
                Diagnostic(.duplicateServer, "apiserver `\(s.name.value)` is defined twice", at: s.name.span,
                           note: "defined again here", labels: [Label(first, "first defined here")],
                           help: "rename one; the name names its Deployment, ServiceAccount and RBAC objects")
            }
            for (key, span) in k.apiServices {
                once(&apiServices, key, span) { first in
                    Diagnostic(.duplicateAPIService, "APIService `\(key)` is served by two apiservers", at: span,
                               note: "served here", labels: [Label(first, "and here")], help: "serve each group/version from one apiserver")
                }
            }
            // Within one server or across two: defaults never clash (server names are unique),
            // so a clash always involves a name the spec gave.
            // A second server of one name clashes in every object; E0120 above says it once.
            for (key, name) in k.rbac where !duplicate {
                let owner = name.span == s.span ? s.name.value : nil
                if let (first, firstOwner) = rbac[key] {
                    // Point at the name the spec gave; a default is the label.
                    bag.add(owner == nil ? duplicateObject(key, name.span, first, owner: firstOwner)
                                         : duplicateObject(key, first, name.span, owner: owner))
                } else {
                    rbac[key] = (name.span, owner)
                }
            }
            let svc = k.service
            once(&services, svc, s.service.span) { first in
                Diagnostic(.duplicateService, "Service `\(svc)` is used by two apiservers", at: s.service.span,
                           note: "used here", labels: [Label(first, "and here")], help: "give each apiserver its own `service` name")
            }
        }

        /// Forgets one server's names. Exact only while no name is held twice (no clash was reported).
        mutating func remove(_ s: APIServer, _ k: CrossKeys) {
            names[s.name.value] = nil
            for (key, _) in k.apiServices { apiServices[key] = nil }
            for (key, _) in k.rbac { rbac[key] = nil }
            services[k.service] = nil
        }
    }

    /// `owner`: the server whose default name `first` is, when it is one.
    static func duplicateObject(_ key: String, _ span: Span, _ first: Span, owner: String?) -> Diagnostic {
        let (kind, name) = (key.prefix { $0 != " " }, key.drop { $0 != " " }.dropFirst())
        return Diagnostic(.duplicateObject, "\(kind) `\(name)` would be made twice", at: span, note: "named here",
                   labels: [Label(first, owner.map { "and here: apiserver `\($0)`'s default name" } ?? "and here")],
                   help: "give each role and binding its own name (`rbac-names`, `user-roles`); the second would replace the first")
    }
}
