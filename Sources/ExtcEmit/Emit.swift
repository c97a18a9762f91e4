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
        case .yaml: return try yamlDocuments(objects.map(\.body)).concatenated()
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

    /// A YAML stream from one emitter.
    public static func yaml(_ documents: [Node]) throws -> String {
        try YAMLEmitter().emit(documents)
    }

    /// Each document's YAML text, `---` first: the text of that document alone, and in a stream
    /// (see `YAMLEmitter.emitEach`). Many documents are emitted in slices on every core, each
    /// slice one emitter; the pieces are those of one emitter (a test compares the two).
    public static func yamlDocuments(_ documents: [Node]) throws -> [String] {
        let slices = documents.count < parallelThreshold ? 1 : min(Concurrency.cores * 2, documents.count / (parallelThreshold / 2))
        guard slices > 1 else { return try YAMLEmitter().emitEach(documents) }
        return try yamlDocuments(documents, slices: slices)
    }

    /// Below this many documents one emitter is faster than starting threads.
    static let parallelThreshold = 256

    /// `documents` emitted as `slices` streams, in parallel, in order.
    public static func yamlDocuments(_ documents: [Node], slices: Int) throws -> [String] {
        let per = (documents.count + slices - 1) / slices
        let results = ConcurrentSlots<Result<[String], Error>>(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { i in
            let part = Array(documents[min(i * per, documents.count)..<min((i + 1) * per, documents.count)])
            results.set(i, Result { part.isEmpty ? [] : try YAMLEmitter().emitEach(part) })
        }
        return try (0..<slices).flatMap { try results[$0].get() }
    }

    /// What `Layouts` writes for each object: its YAML document (the stream is these joined, a
    /// `dir` layout has one file each); nil for JSON, whose stream is one List.
    public static func documents(_ objects: [KubeObject], format: OutputFormat) throws -> [String]? {
        format == .yaml ? try yamlDocuments(objects.map(\.body)) : nil
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
