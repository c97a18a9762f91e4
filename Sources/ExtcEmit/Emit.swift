import Dispatch
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

    /// A stream of many documents is emitted in slices on every core and joined: each slice is a
    /// stream of whole documents with explicit `---` starts, so the bytes are those of one
    /// emitter (a test compares the two).
    public static func yaml(_ documents: [Node]) throws -> String {
        let slices = documents.count < parallelThreshold ? 1 : min(Concurrency.cores * 2, documents.count / (parallelThreshold / 2))
        guard slices > 1 else { return try YAMLEmitter().emit(documents) }
        return try yaml(documents, slices: slices)
    }

    /// Below this many documents one emitter is faster than starting threads.
    static let parallelThreshold = 256

    /// `documents` emitted as `slices` streams, in parallel, joined in order.
    public static func yaml(_ documents: [Node], slices: Int) throws -> String {
        let per = (documents.count + slices - 1) / slices
        let results = ConcurrentSlots<Result<String, Error>>(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { i in
            let part = Array(documents[min(i * per, documents.count)..<min((i + 1) * per, documents.count)])
            results.set(i, Result { part.isEmpty ? "" : try YAMLEmitter().emit(part) })
        }
        return try (0..<slices).map { try results[$0].get() }.joined()
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
