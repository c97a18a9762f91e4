/// Splits a file into tokens. Never fails: bad bytes become `.invalid` tokens and a diagnostic.
///
/// Invariants: tokens are in order, do not overlap, and the last one is `.eof`; every byte is
/// covered by a token or is white space (space, tab, `\r`, and a leading UTF-8 byte order mark,
/// which some editors write). Time is linear in the file size.
public struct Lexer {
    public let file: SourceFile
    private let b: [UInt8]
    private var pos = 0
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: SourceFile) {
        self.file = file
        self.b = file.bytes
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
    }

    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: file)
        var tokens: [Token] = []
        tokens.reserveCapacity(file.bytes.count / 4)
        while true {
            let t = lexer.next()
            tokens.append(t)
            if t.kind == .eof { break }
        }
        return (tokens, lexer.diagnostics)
    }

    public mutating func next() -> Token {
        skipBlanks()
        guard pos < b.count else { return Token(kind: .eof, start: b.count, end: b.count) }
        let start = pos
        let c = b[pos]
        switch c {
        case UInt8(ascii: "\n"): pos += 1; return Token(kind: .newline, start: start, end: pos)
        case UInt8(ascii: "{"): pos += 1; return Token(kind: .lbrace, start: start, end: pos)
        case UInt8(ascii: "}"): pos += 1; return Token(kind: .rbrace, start: start, end: pos)
        case UInt8(ascii: ";"): pos += 1; return Token(kind: .semicolon, start: start, end: pos)
        case UInt8(ascii: "#"): return comment()
        case UInt8(ascii: "\""): return string()
        default:
            if Lexer.isWordByte(c) { return word() }
            return invalid()
        }
    }

    @inline(__always)
    public static func isWordByte(_ c: UInt8) -> Bool {
        c > 0x20 && c < 0x7F && c != UInt8(ascii: "{") && c != UInt8(ascii: "}")
            && c != UInt8(ascii: ";") && c != UInt8(ascii: "\"") && c != UInt8(ascii: "#")
    }

    private mutating func skipBlanks() {
        while pos < b.count, b[pos] == 0x20 || b[pos] == 0x09 || b[pos] == 0x0D { pos += 1 }
    }

    private mutating func word() -> Token {
        let start = pos
        while pos < b.count, Lexer.isWordByte(b[pos]) { pos += 1 }
        return Token(kind: .word, start: start, end: pos)
    }

    private mutating func comment() -> Token {
        let start = pos
        while pos < b.count, b[pos] != UInt8(ascii: "\n") { pos += 1 }
        var end = pos
        // Every trailing CR belongs to the line ending, not the comment (`\r\r\n` too): otherwise
        // fmt would print a CR that the next parse drops, and fmt would not be idempotent.
        while end > start, b[end - 1] == 0x0D { end -= 1 }
        checkUTF8(start..<end)
        return Token(kind: .comment, start: start, end: end)
    }

    private mutating func string() -> Token {
        let start = pos
        pos += 1
        while pos < b.count {
            let c = b[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                checkUTF8(start..<pos)
                return Token(kind: .string, start: start, end: pos)
            }
            if c == UInt8(ascii: "\n") { break }
            if c == UInt8(ascii: "\\") { escape() } else { pos += 1 }
        }
        var end = pos
        if end > start, b[end - 1] == 0x0D { end -= 1 }
        report(.unterminatedString, "unterminated string", start..<end, note: "string starts here",
               help: "close the string with `\"` before the end of the line")
        checkUTF8(start..<end)
        return Token(kind: .string, start: start, end: end)
    }

    /// At a backslash inside a string: consumes the escape, reporting a bad one.
    private mutating func escape() {
        let start = pos
        pos += 1
        guard pos < b.count, b[pos] != UInt8(ascii: "\n") else { return }
        switch b[pos] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "t"):
            pos += 1
        default:
            let len = Lexer.scalarLength(b, pos)
            pos += len
            report(.invalidEscape, "invalid escape sequence `\(file.text(start..<pos))`", start..<pos,
                   note: "not an escape", help: "escapes are \\\" \\\\ \\n \\t; write a backslash as \\\\")
        }
    }

    /// A maximal run of bytes that cannot start a token, reported once.
    private mutating func invalid() -> Token {
        let start = pos
        var first: Unicode.Scalar? = nil
        while pos < b.count {
            let c = b[pos]
            if Lexer.isWordByte(c) || c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A
                || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: ";")
                || c == UInt8(ascii: "\"") || c == UInt8(ascii: "#") { break }
            let len = Lexer.scalarLength(b, pos)
            if first == nil { first = Lexer.decodeScalar(b, pos, len) }
            pos += len
        }
        if let s = first {
            let shown = s.value < 0x20 || s.value == 0x7F ? "" : " `\(s)`"
            let hex = String(s.value, radix: 16, uppercase: true)
            let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            report(.invalidCharacter, "unexpected character\(shown) (U+\(code))", start..<pos,
                   note: "not allowed here", help: "outside strings and comments, specs are printable ASCII; quote other text: \"...\"")
        } else {
            report(.invalidUTF8, "invalid UTF-8", start..<pos, note: "not UTF-8",
                   help: "save the file as UTF-8")
        }
        return Token(kind: .invalid, start: start, end: pos)
    }

    /// Length of the UTF-8 sequence at `i` (1 for a byte that starts no valid sequence).
    static func scalarLength(_ b: [UInt8], _ i: Int) -> Int {
        let c = b[i]
        let n = c < 0x80 ? 1 : c >> 5 == 0b110 ? 2 : c >> 4 == 0b1110 ? 3 : c >> 3 == 0b11110 ? 4 : 1
        guard n > 1, i + n <= b.count else { return 1 }
        for k in 1..<n where b[i + k] & 0xC0 != 0x80 { return 1 }
        return n
    }

    /// The scalar at `i`, or nil when the bytes are not valid UTF-8.
    static func decodeScalar(_ b: [UInt8], _ i: Int, _ len: Int) -> Unicode.Scalar? {
        var it = b[i..<(i + len)].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let s) = decoder.decode(&it) { return s }
        return nil
    }

    private mutating func checkUTF8(_ range: Range<Int>) {
        var i = range.lowerBound
        while i < range.upperBound {
            if b[i] < 0x80 { i += 1; continue }
            let len = Lexer.scalarLength(b, i)
            if len == 1 || Lexer.decodeScalar(b, i, len) == nil {
                report(.invalidUTF8, "invalid UTF-8", i..<(i + 1), note: "not UTF-8", help: "save the file as UTF-8")
                return
            }
            i += len
        }
    }

    private mutating func report(_ code: DiagnosticCode, _ message: String, _ r: Range<Int>, note: String, help: String) {
        let span = Span(file: file, start: r.lowerBound, end: r.upperBound)
        diagnostics.append(Diagnostic(code, message, at: span, note: note, help: help))
    }
}
