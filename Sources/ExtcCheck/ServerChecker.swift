import ExtcSyntax

/// Checks one `apiserver NAME { ... }` entry. Each field's checker reports its own errors and
/// returns nil for a value it could not accept; `run` builds the server only when all are present.
struct ServerChecker {
    static let fields = FieldTable([
        FieldSpec("group"), FieldSpec("versions", values: 1...Int.max), FieldSpec("namespace", values: 1...2),
        FieldSpec("service"), FieldSpec("port"), FieldSpec("image"), FieldSpec("image-pull-policy"),
        FieldSpec("replicas"), FieldSpec("args", values: 1...Int.max, repeatable: true),
        FieldSpec("env", values: 0...0, block: .required), FieldSpec("requests", values: 0...0, block: .required),
        FieldSpec("limits", values: 0...0, block: .required), FieldSpec("verbs", values: 1...Int.max),
        FieldSpec("resource", block: .optional, repeatable: true),
        FieldSpec("allow", values: 1...Int.max, block: .optional, repeatable: true),
        FieldSpec("group-priority"), FieldSpec("version-priority"),
        FieldSpec("labels", values: 0...0, block: .required), FieldSpec("annotations", values: 0...0, block: .required),
        FieldSpec("certs", values: 0...0, block: .required), FieldSpec("library"),
        FieldSpec("storage", block: .optional),
    ])

    var bag = DiagnosticBag()
    let entry: Entry
    /// Where defaults point: `apiserver NAME`.
    let home: Span
    let context: String

    static func check(_ entry: Entry, diagnostics: inout DiagnosticBag) -> APIServer? {
        var c = ServerChecker(entry: entry)
        let server = c.run()
        diagnostics.add(contentsOf: c.bag.items)
        return server
    }

    private init(entry: Entry) {
        self.entry = entry
        self.home = entry.args.first.map { entry.head.span.to($0.span) } ?? entry.head.span
        self.context = "apiserver `\(entry.args.first?.text ?? "")`"
    }

    private mutating func run() -> APIServer? {
        guard entry.args.count == 1 else {
            error(.wrongArity, "`apiserver` takes one name, found \(entry.args.count)", entry.args.count > 1 ? entry.args[1].span : entry.head.span,
                  note: entry.args.isEmpty ? "name missing" : "extra value", help: "write `apiserver NAME { ... }`")
            return nil
        }
        guard let block = entry.block else {
            error(.blockMismatch, "`apiserver` needs a block", home, note: "no `{ ... }` follows",
                  help: "write `apiserver \(entry.args[0].text) { ... }`")
            return nil
        }
        let name = checkName(entry.args[0])
        let f = Fields(block.entries, in: context, owner: home, table: Self.fields, diagnostics: &bag)
        for (field, example) in [("group", "group example.com"), ("versions", "versions v1alpha1"),
                                 ("namespace", "namespace my-system"), ("service", "service api"),
                                 ("image", "image registry.example.com/server:v1.0.0")] {
            f.require(field, in: context, example: example, diagnostics: &bag)
        }
        if !f.has("resource") {
            error(.missingField, "\(context) serves no resource", home, note: "no `resource` entry",
                  help: "add `resource NAME { verbs get list watch }`")
        }
        let group = f["group"].flatMap { checkGroup($0.args[0]) }
        let versions = f["versions"].flatMap { checkVersions($0.args, group: group) }
        let (namespace, create) = f["namespace"].map { checkNamespace($0) } ?? (nil, true)
        let service = f["service"].flatMap { checkServiceName($0.args[0]) }
        let port = f["port"].map { int($0.args[0], "port", 1...65535) } ?? Located(8443, home)
        if let p = port, p.value < 1024 {
            warn(.privilegedPort, "port \(p.value) is below 1024, but the container runs as non-root with no capabilities", p.span,
                 note: "privileged port", help: "use a port of 1024 or more, such as 8443; the Service still listens on 443")
        }
        let image = f["image"].flatMap { checkImage($0.args[0]) }
        let pull = f["image-pull-policy"].map { choice($0.args[0], "image-pull-policy", ["IfNotPresent", "Always", "Never"]) } ?? Located("IfNotPresent", home)
        let storageEntry = f["storage"]
        let replicas = f["replicas"].map { int($0.args[0], "replicas", 1...1000) }
            ?? Located(storageEntry?.args.first?.text == Storage.Mode.sidecar.rawValue ? 1 : 2, home)
        let library = f["library"].map { checkLibrary($0.args[0]) } ?? Located(LibraryRBAC.newest, home)
        let storage = storageEntry.flatMap { checkStorage($0, name: name, group: group, replicas: replicas, replicasGiven: f.has("replicas")) }
        let args = f.every("args").flatMap(\.args).map { checkArg($0, storage: storageEntry) }
        let env = f["env"].map { checkEnv($0.block!) } ?? []
        let requests = f["requests"].map { checkQuantities($0.block!, "requests") } ?? defaultRequests
        let limits = f["limits"].map { checkQuantities($0.block!, "limits") } ?? defaultLimits
        let defaultVerbs = f["verbs"].map { checkVerbs($0.args, allowed: KnownAPIs.resourceVerbs) }
        let resources = checkResources(f.every("resource"), defaultVerbs: defaultVerbs)
        let rules = library.map { lib in
            f.has("allow") ? f.every("allow").flatMap { checkAllow($0, library: lib.value) } : defaultRules(lib.value, at: home)
        } ?? []
        let groupPriority = f["group-priority"].map { int($0.args[0], "group-priority", 1...20000) } ?? Located(1000, home)
        let versionPriority = f["version-priority"].map { int($0.args[0], "version-priority", 1...1000) } ?? Located(15, home)
        let labels = f["labels"].map { checkMetadata($0.block!, labels: true) } ?? []
        let annotations = f["annotations"].map { checkMetadata($0.block!, labels: false) } ?? []
        let certs = checkCerts(f["certs"])
        guard !bag.hasErrors, let name, let group, let versions, let namespace, let service, let port, let image,
              let pull, let replicas, let groupPriority, let versionPriority, let certs, let library,
              storageEntry == nil || storage != nil else { return nil }
        return APIServer(
            name: name, span: home, group: group, versions: versions, namespace: namespace, createNamespace: create,
            service: service, port: port, image: image, pullPolicy: pull, replicas: replicas,
            args: args.compactMap { $0 }, env: env, requests: requests, limits: limits, resources: resources,
            rules: rules, groupPriorityMinimum: groupPriority, versionPriority: versionPriority, certs: certs,
            labels: labels, annotations: annotations, library: library, storage: storage)
    }

    // MARK: Reporting

    mutating func error(_ code: DiagnosticCode, _ message: String, _ span: Span, note: String, labels: [Label] = [], help: String?) {
        bag.add(Diagnostic(code, message, at: span, note: note, labels: labels, help: help))
    }

    mutating func warn(_ code: DiagnosticCode, _ message: String, _ span: Span, note: String, help: String?) {
        bag.add(Diagnostic(code, message, at: span, note: note, help: help))
    }

    // MARK: Scalars

    mutating func int(_ v: Value, _ field: String, _ range: ClosedRange<Int>) -> Located<Int>? {
        guard let n = Int(v.text), v.text.first != "+" else {
            error(.invalidValue, "`\(field)` takes a whole number, found `\(v.text)`", v.span, note: "not a number",
                  help: "write a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        guard range.contains(n) else {
            error(.outOfRange, "`\(field)` must be from \(range.lowerBound) to \(range.upperBound), found \(n)", v.span,
                  note: "out of range", help: "pick a value from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return Located(n, v.span)
    }

    mutating func choice(_ v: Value, _ field: String, _ options: [String]) -> Located<String>? {
        guard options.contains(v.text) else {
            error(.invalidValue, "`\(field)` is one of \(options.map { "`\($0)`" }.joined(separator: ", ")); found `\(v.text)`",
                  v.span, note: "unknown value", help: Suggest.help(for: v.text, in: options) ?? "use one of: \(options.joined(separator: ", "))")
            return nil
        }
        return Located(v.text, v.span)
    }

    mutating func duration(_ v: Value, _ field: String) -> Located<Int>? {
        guard let d = Names.duration(v.text) else {
            error(.invalidDuration, "`\(field)` takes a duration, found `\(v.text)`", v.span, note: "not a duration",
                  help: "write a positive whole number and a unit h, d, w or y, up to 100y: `365d`")
            return nil
        }
        return Located(d, v.span)
    }
}
