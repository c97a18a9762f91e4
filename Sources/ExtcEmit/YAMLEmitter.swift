import CYAML
import ExtcLower

/// Writes documents through libyaml's event API: explicit `---` starts, block style, 2-space
/// indent, no line folding, UTF-8. Owns its `yaml_emitter_t` and frees it on deinit.
final class YAMLEmitter {
    private let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
    private let sink = Sink()

    /// libyaml's output handler appends here.
    final class Sink { var bytes: [UInt8] = [] }

    struct EmitError: Error, CustomStringConvertible {
        let description: String
    }

    init() {
        // Fails only when libyaml cannot allocate its buffers: out of memory, as any allocation.
        precondition(yaml_emitter_initialize(emitter) == 1, "libyaml could not allocate its emitter")
        yaml_emitter_set_output(emitter, { context, buffer, size in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, Unmanaged.passUnretained(sink).toOpaque())
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_indent(emitter, 2)
        yaml_emitter_set_width(emitter, -1)  // never fold long lines (caBundle is one line)
    }

    deinit {
        yaml_emitter_delete(emitter)
        emitter.deallocate()
    }

    /// The YAML text of the documents, each starting with `---`.
    func emit(_ documents: [Node]) throws -> String {
        var event = yaml_event_t()
        try send(&event, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING))
        for doc in documents { try document(doc) }
        try send(&event, yaml_stream_end_event_initialize(&event))
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    /// Each document's own text, in one stream. libyaml flushes at every document end and
    /// writes nothing at a UTF-8 stream's start or (for our documents, which end no block scalar
    /// with kept trailing lines) its end, so each piece is also the text of that document alone,
    /// and the pieces joined are the stream (both tested).
    func emitEach(_ documents: [Node]) throws -> [String] {
        var event = yaml_event_t()
        var pieces: [String] = []
        pieces.reserveCapacity(documents.count)
        try send(&event, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING))
        var start = sink.bytes.count
        for doc in documents {
            try document(doc)
            pieces.append(String(decoding: sink.bytes[start...], as: UTF8.self))
            start = sink.bytes.count
        }
        try send(&event, yaml_stream_end_event_initialize(&event))
        if sink.bytes.count > start, !pieces.isEmpty {
            pieces[pieces.count - 1] += String(decoding: sink.bytes[start...], as: UTF8.self)
        }
        return pieces
    }

    private func document(_ doc: Node) throws {
        var event = yaml_event_t()
        try send(&event, yaml_document_start_event_initialize(&event, nil, nil, nil, 0))
        try node(doc)
        try send(&event, yaml_document_end_event_initialize(&event, 1))
    }

    private func node(_ n: Node) throws {
        var event = yaml_event_t()
        switch n {
        case .string(let s): try scalar(s, quoted: YAMLQuoting.needsQuotes(s))
        case .int(let i): try scalar(String(i), quoted: false)
        case .bool(let b): try scalar(b ? "true" : "false", quoted: false)
        case .list(let items):
            try send(&event, yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE))
            for item in items { try node(item) }
            try send(&event, yaml_sequence_end_event_initialize(&event))
        case .map(let fields):
            try send(&event, yaml_mapping_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE))
            for f in fields {
                try scalar(f.key, quoted: YAMLQuoting.needsQuotes(f.key))
                try node(f.value)
            }
            try send(&event, yaml_mapping_end_event_initialize(&event))
        }
    }

    private func scalar(_ s: String, quoted: Bool) throws {
        var event = yaml_event_t()
        let style = quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE
        var bytes = Array(s.utf8)
        let ok = bytes.withUnsafeMutableBufferPointer { buf in
            yaml_scalar_event_initialize(&event, nil, nil, buf.baseAddress, Int32(buf.count), 1, 1, style)
        }
        try send(&event, ok)
    }

    /// Emits an initialised event; libyaml takes ownership of it either way.
    private func send(_ event: inout yaml_event_t, _ initialised: Int32) throws {
        guard initialised == 1 else { throw EmitError(description: "libyaml could not create an event (out of memory)") }
        guard yaml_emitter_emit(emitter, &event) == 1 else {
            let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown problem"
            throw EmitError(description: "libyaml emitter: \(problem)")
        }
    }
}

/// Which strings must be quoted so that a YAML 1.1 or 1.2 reader (go-yaml in kubectl, PyYAML,
/// libyaml-based tools) reads them back as strings and not as another type.
public enum YAMLQuoting {
    private static let words: Set<String> = [
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "=", "<<",
        ".inf", "-.inf", "+.inf", ".nan",
        ".",  // YAML 1.1's float pattern `[-+]?([0-9][0-9_]*)?\.[0-9.]*` matches a lone dot
    ]
    /// The longest of `words`, in UTF-8 bytes: a longer string is none of them.
    private static let longestWord = 5

    /// Works on UTF-8 bytes: every character that can make a plain scalar read as a number is ASCII
    /// (a non-ASCII character never belongs to `isNumberish`).
    public static func needsQuotes(_ s: String) -> Bool {
        let b = s.utf8
        guard let first = b.first else { return true }
        if b.count <= longestWord, words.contains(s.lowercased()) { return true }
        let second = b.dropFirst().first
        let startsNumeric = isDigit(first)
            || ("+-.".utf8.contains(first) && second.map { isDigit($0) || $0 == UInt8(ascii: ".") } == true)
        return startsNumeric && b.allSatisfy(isNumberish)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// `0-9 a-f A-F x X o O b B _ . : + - e E`: the characters of YAML 1.1/1.2 ints, floats
    /// (decimal, hex, octal, binary, sexagesimal) and exponents.
    private static func isNumberish(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return "xXoObB_.:+-".utf8.contains(c)
        }
    }
}

/// The libyaml extc runs with, for `extc --version`.
public enum LibYAMLInfo {
    public static var version: String { String(cString: yaml_get_version_string()) }
}
