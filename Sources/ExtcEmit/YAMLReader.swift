import CYAML
import ExtcLower

/// Reads YAML back with libyaml's parser, resolving plain scalars the way YAML 1.1 readers do
/// (ints, bools; anything else a string), so a round trip shows what a reader would see.
public enum YAMLReader {
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a reader sees in a scalar: a typed value that is not a string is kept apart.
    public static func read(_ text: String) throws -> [Node] {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw ParseError(description: "libyaml: out of memory") }
        defer { yaml_parser_delete(parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(parser, buf.baseAddress, buf.count)
            var reader = EventReader(parser: parser)
            return try reader.documents()
        }
    }

    struct EventReader {
        let parser: UnsafeMutablePointer<yaml_parser_t>

        enum Item {
            case node(Node)
            case end
        }

        mutating func next() throws -> yaml_event_t {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                let problem = parser.pointee.problem.map { String(cString: $0) } ?? "parse error"
                throw ParseError(description: "libyaml: \(problem) at line \(parser.pointee.problem_mark.line + 1)")
            }
            return event
        }

        mutating func documents() throws -> [Node] {
            var docs: [Node] = []
            while true {
                var e = try next()
                defer { yaml_event_delete(&e) }
                switch e.type {
                case YAML_STREAM_END_EVENT: return docs
                case YAML_DOCUMENT_START_EVENT:
                    guard case .node(let n) = try item() else { throw ParseError(description: "empty document") }
                    docs.append(n)
                default: continue
                }
            }
        }

        mutating func item() throws -> Item {
            var e = try next()
            defer { yaml_event_delete(&e) }
            switch e.type {
            case YAML_SCALAR_EVENT:
                let s = e.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                return .node(s.style == YAML_PLAIN_SCALAR_STYLE ? YAMLReader.resolvePlain(text) : .string(text))
            case YAML_SEQUENCE_START_EVENT:
                var items: [Node] = []
                while case .node(let n) = try item() { items.append(n) }
                return .node(.list(items))
            case YAML_MAPPING_START_EVENT:
                var fields: [Node.Field] = []
                while case .node(let k) = try item() {
                    guard case .node(let v) = try item() else { throw ParseError(description: "mapping key without value") }
                    fields.append(Node.Field(k.stringValue ?? "\(k)", v))
                }
                return .node(.map(fields))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT, YAML_DOCUMENT_END_EVENT:
                return .end
            default:
                throw ParseError(description: "unexpected YAML event \(e.type.rawValue)")
            }
        }
    }

    /// YAML 1.1 resolution of a plain scalar into the node types extc emits. A plain scalar that a
    /// YAML 1.1 or 1.2 reader would take as null, a float, a timestamp or another non-string type
    /// comes back as `.string("!!resolved x")`, which never equals an emitted string, so a round trip
    /// catches it. Deliberately independent of the emitter's quoting rule (`YAMLQuoting`).
    static func resolvePlain(_ s: String) -> Node {
        if let i = Int(s), String(i) == s { return .int(i) }
        if s == "true" { return .bool(true) }
        if s == "false" { return .bool(false) }
        if otherTypes.contains(where: { s.wholeMatch(of: $0) != nil }) { return .string("!!resolved \(s)") }
        return .string(s)
    }

    /// The YAML 1.1 type repository (yaml.org/type) and the YAML 1.2 core schema.
    static var otherTypes: [Regex<Substring>] { [
        /y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF/,
        /~|null|Null|NULL/,
        /[-+]?0b[0-1_]+/, /[-+]?0[0-7_]+/, /[-+]?(?:0|[1-9][0-9_]*)/, /[-+]?0x[0-9a-fA-F_]+/, /0o[0-7]+/,
        /[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+/,
        /[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?/, /[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*/,
        /[-+]?\.(?:inf|Inf|INF)/, /\.(?:nan|NaN|NAN)/,
        /[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?/,
        /[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?/,
        /=|<</,
    ] }
}
