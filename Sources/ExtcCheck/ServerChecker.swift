import ExtcSyntax

/// Checks one `apiserver NAME { ... }` entry. Each field's checker reports its own errors and
/// returns nil for a value it could not accept; `run` builds the server only when all are present.
struct ServerChecker {
    static let fields = FieldTable([
        FieldSpec("group", block: .optional, repeatable: true), FieldSpec("versions", values: 1...Int.max),
        FieldSpec("namespace", values: 1...2), FieldSpec("service"), FieldSpec("port"), FieldSpec("image"),
        FieldSpec("image-pull-policy"), FieldSpec("replicas"), FieldSpec("command", values: 1...Int.max),
        FieldSpec("args", values: 1...Int.max, repeatable: true),
        FieldSpec("env", values: 0...0, block: .required), FieldSpec("requests", values: 0...0, block: .required),
        FieldSpec("limits", values: 0...0, block: .required), FieldSpec("verbs", values: 1...Int.max),
        FieldSpec("resource", block: .optional, repeatable: true),
        FieldSpec("allow", values: 1...Int.max, block: .optional, repeatable: true),
        FieldSpec("group-priority"), FieldSpec("version-priority", values: 1...2, repeatable: true),
        FieldSpec("labels", values: 0...0, block: .required), FieldSpec("annotations", values: 0...0, block: .required),
        FieldSpec("certs", values: 0...0, block: .required), FieldSpec("library"),
        FieldSpec("storage", block: .optional), FieldSpec("ports", values: 0...0, block: .required),
        FieldSpec("volume", block: .required, repeatable: true), FieldSpec("pod", values: 0...0, block: .required),
        FieldSpec("serving", values: 0...0, block: .required), FieldSpec("selector", values: 0...0, block: .required),
        FieldSpec("service-account", values: 1...2), FieldSpec("user-roles", values: 0...0, block: .required),
        FieldSpec("acknowledge", values: 1...Int.max), FieldSpec("rbac-names", values: 0...0, block: .required),
    ])

    var bag = DiagnosticBag()
    let entry: Entry
    /// Where defaults point: `apiserver NAME`.
    let home: Span
    let context: String

    static func check(_ entry: Entry, diagnostics: inout DiagnosticBag) -> APIServer? {
        var c = ServerChecker(entry: entry)
        let server = c.run()
        // `acknowledge W...` silences those warnings for this server only (its entry's findings).
        let quiet = Set(c.acknowledgedCodes)
        diagnostics.add(contentsOf: c.bag.items.filter { !($0.code.severity == .warning && quiet.contains($0.code)) })
        return server
    }

    /// The codes of `acknowledge` entries, read straight from the block (the server may have errors).
    private var acknowledgedCodes: [DiagnosticCode] {
        (entry.block?.entries ?? []).filter { $0.head.text == "acknowledge" }.flatMap(\.args).compactMap { DiagnosticCode(code: $0.text) }
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
        for (field, example) in [("group", "group example.com"), ("namespace", "namespace my-system"),
                                 ("service", "service api"), ("image", "image registry.example.com/server:v1.0.0")] {
            f.require(field, in: context, example: example, diagnostics: &bag)
        }
        let groups = checkGroups(f)
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
        let storage = storageEntry.flatMap { checkStorage($0, name: name, group: groups?.first?.name, replicas: replicas, replicasGiven: f.has("replicas")) }
        let serving = checkServing(f["serving"], storage: storage?.mode)
        let argValues = f.every("args").flatMap(\.args)
        let args = argValues.map { checkArg($0, storage: storageEntry, serving: serving) }
        let command = checkCommand(f["command"], args: args, argValues: argValues)
        let env = f["env"].map { checkEnv($0.block!) } ?? []
        let ports = f["ports"].map { checkPorts($0.block!, securePort: port) } ?? []
        let volumes = checkVolumes(f.every("volume"))
        let pod = checkPod(f["pod"], replicas: replicas?.value ?? 1, sidecar: storage.flatMap { $0.mode.value == .sidecar ? $0.mode : nil })
        let requests = f["requests"].map { checkQuantities($0.block!, "requests") } ?? defaultRequests
        let limits = f["limits"].map { checkQuantities($0.block!, "limits") } ?? defaultLimits
        let rules = library.map { lib in
            f.has("allow") ? f.every("allow").flatMap { checkAllow($0, library: lib.value) } : defaultRules(lib.value, at: home)
        } ?? []
        let userRoles = checkUserRoles(f["user-roles"])
        let rbacNames = checkRBACNames(f["rbac-names"])
        let labels = f["labels"].map { checkMetadata($0.block!, labels: true) } ?? []
        let annotations = f["annotations"].map { checkMetadata($0.block!, labels: false) } ?? []
        let selector = f["selector"].map { checkMetadata($0.block!, labels: true, reservedAllowed: true) } ?? []
        let (account, createAccount) = checkServiceAccount(f["service-account"], name: name)
        let certs = checkCerts(f["certs"])
        let acknowledged = f["acknowledge"].map { checkAcknowledge($0) } ?? []
        // With storage, E0136's stricter limit on the name already applies.
        checkLengths(name: storageEntry == nil ? name : nil, namespace: namespace, service: service, groups: groups, ca: certs?.ca.value)
        guard !bag.hasErrors, let name, let groups, let namespace, let service, let port, let image,
              let pull, let replicas, let certs, let library, let pod, let serving, let account,
              storageEntry == nil || storage != nil else { return nil }
        return APIServer(
            name: name, span: home, groups: groups, namespace: namespace, createNamespace: create,
            service: service, port: port, image: image, pullPolicy: pull, replicas: replicas, command: command,
            args: args.compactMap { $0 }, env: env, ports: ports, volumes: volumes, pod: pod, serving: serving,
            requests: requests, limits: limits, rules: rules, userRoles: userRoles, rbacNames: rbacNames, certs: certs,
            labels: labels, annotations: annotations, library: library, storage: storage, selector: selector,
            serviceAccount: account, createServiceAccount: createAccount, acknowledged: acknowledged)
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
            bag.add(Diagnostic(.invalidValue, "`\(field)` is one of \(options.map { "`\($0)`" }.joined(separator: ", ")); found `\(v.text)`",
                               at: v.span, note: "unknown value",
                               help: Suggest.help(for: v.text, in: options) ?? "use one of: \(options.joined(separator: ", "))",
                               replacement: Suggest.closest(to: v.text, in: options)))
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
