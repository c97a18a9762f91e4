import ExtcSyntax

/// Diagnostics as one SARIF 2.1.0 log (for code scanning): `--diagnostics sarif` collects every
/// diagnostic and error of the run and prints the log once, on stderr, when the run ends.
public enum SARIFLog {
    nonisolated(unsafe) static var results: [Diagnostic] = []
    /// Messages about the run rather than a place in a spec: (level, text), level "error" or "warning".
    nonisolated(unsafe) static var notifications: [(level: String, text: String)] = []
    nonisolated(unsafe) public private(set) static var active = false

    static func start() { active = true }

    /// The whole log. `succeeded`: the run ended without an error.
    public static func render(version: String, succeeded: Bool) -> String {
        let q = JSONText.quote, o = JSONText.object
        let codes = Array(Set(results.map(\.code))).sorted()
        let rules = codes.map { c in
            o([("id", q(c.rawValue)), ("name", q(c.title)), ("shortDescription", o([("text", q(c.title))])),
               ("fullDescription", o([("text", q(c.explanation.split(separator: "\n").map { String($0.drop { $0 == " " }) }.joined(separator: " ")))])),
               ("defaultConfiguration", o([("level", q(level(c.severity)))]))])
        }
        let results = results.map { d in
            var fields = [("ruleId", q(d.code.rawValue)), ("ruleIndex", String(codes.firstIndex(of: d.code)!)), ("level", q(level(d.severity))),
                          ("message", o([("text", q(d.message + (d.help.map { " (help: \($0))" } ?? "")))])),
                          ("locations", "[" + location(d.span, nil) + "]")]
            if !d.labels.isEmpty {
                fields.append(("relatedLocations", "[" + d.labels.enumerated().map { location($0.element.span, ($0.offset, $0.element.message)) }.joined(separator: ",") + "]"))
            }
            return o(fields)
        }
        let notes = notifications.map { o([("level", q($0.level)), ("message", o([("text", q($0.text))]))]) }
        let invocation = o([("executionSuccessful", succeeded ? "true" : "false"), ("toolExecutionNotifications", "[" + notes.joined(separator: ",") + "]")])
        let driver = o([("name", q("extc")), ("version", q(version)), ("rules", "[" + rules.joined(separator: ",") + "]")])
        let run = o([("tool", o([("driver", driver)])), ("invocations", "[" + invocation + "]"),
                     ("results", "[" + results.joined(separator: ",") + "]")])
        return o([("$schema", q("https://json.schemastore.org/sarif-2.1.0.json")), ("version", q("2.1.0")), ("runs", "[" + run + "]")]) + "\n"
    }

    static func level(_ s: Severity) -> String { s == .error ? "error" : "warning" }

    static func location(_ span: Span, _ label: (Int, String)?) -> String {
        let q = JSONText.quote, o = JSONText.object
        let start = span.file.location(of: span.start), end = span.file.location(of: max(span.start, span.end))
        let region = o([("startLine", String(start.line)), ("startColumn", String(start.column)),
                        ("endLine", String(end.line)), ("endColumn", String(max(end.column, start.column + (span.end > span.start ? 0 : 1))))])
        var fields = [("physicalLocation", o([("artifactLocation", o([("uri", q(span.file.path))])), ("region", region)]))]
        if let (id, message) = label { fields.insert(("id", String(id)), at: 0); fields.append(("message", o([("text", q(message))]))) }
        return o(fields)
    }
}
