import ExtcLower
import ExtcSyntax

public enum OutputFormat: String, Sendable, CaseIterable {
    case yaml
    case json
}

/// Objects to text.
public enum Emit {
    /// A multi-document YAML stream, or (json) one `v1` List.
    public static func stream(_ objects: [KubeObject], format: OutputFormat) throws -> String {
        switch format {
        case .yaml: return try yaml(objects.map(\.body))
        case .json: return JSONWriter.write(["apiVersion": "v1", "kind": "List", "items": .list(objects.map(\.body))]) + "\n"
        }
    }

    /// One object alone, for the `dir` layouts.
    public static func single(_ object: KubeObject, format: OutputFormat) throws -> String {
        switch format {
        case .yaml: return try yaml([object.body])
        case .json: return JSONWriter.write(object.body) + "\n"
        }
    }

    public static func yaml(_ documents: [Node]) throws -> String {
        try YAMLEmitter().emit(documents)
    }
}

/// Pretty JSON (2-space indent) with keys in the node's order.
public enum JSONWriter {
    public static func write(_ n: Node) -> String {
        var out = ""
        write(n, indent: "", into: &out)
        return out
    }

    private static func write(_ n: Node, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch n {
        case .string(let s): out += JSONText.quote(s)
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .list(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                write(item, indent: inner, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .map(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, f) in fields.enumerated() {
                out += inner + JSONText.quote(f.key) + ": "
                write(f.value, indent: inner, into: &out)
                out += i == fields.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }
}
