public enum TokenKind: Sendable, Equatable {
    /// A bare word: a run of printable ASCII other than white space and `{ } ; " #`.
    case word
    /// A double-quoted string on one line (possibly unterminated; the lexer reported it).
    case string
    case lbrace
    case rbrace
    case semicolon
    case newline
    /// `#` to the end of the line, without the newline.
    case comment
    /// Bytes the lexer could not use (reported); the parser skips them.
    case invalid
    case eof
}

/// A token is a kind and a byte range; its text is read back from the file.
public struct Token: Sendable, Equatable {
    public let kind: TokenKind
    public let start: Int
    public let end: Int
}
