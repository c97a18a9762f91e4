// The syntax tree. The language has one shape at every level (see grammar/ext.ebnf):
//
//     entry = head { value } [ block ] end
//     block = "{" { entry } "}"
//
// The parser builds this shape; the checker (ExtcCheck) gives each head its meaning. Comments and
// blank lines are kept as trivia so `extc fmt` can reprint them.

public enum ValueKind: Sendable, Equatable {
    case word
    case string
}

/// A word or a string. `raw` is the source text (quotes and escapes kept, for the printer);
/// `text` is the value the checker sees.
public struct Value: Sendable {
    public let kind: ValueKind
    public let raw: String
    public let text: String
    public let span: Span
}

/// What stands between entries: a comment line, or a blank line (runs of blank lines fold to one).
public enum Trivia: Sendable, Equatable {
    case blank
    case comment(String)
}

public struct Entry: Sendable {
    public let leading: [Trivia]
    public let head: Value
    public let args: [Value]
    public let block: Block?
    /// A comment on the entry's last line.
    public let trailingComment: String?
    /// From the head to the last value or the closing brace.
    public let span: Span

    /// The entry's values after the head, as plain text.
    public var values: [String] { args.map(\.text) }
}

public struct Block: Sendable {
    public let open: Span
    /// nil when the block was never closed (an E0005 was reported).
    public let close: Span?
    /// A comment right after `{` on the same line.
    public let openComment: String?
    public let entries: [Entry]
    /// Comments after the last entry, before `}`.
    public let trailing: [Trivia]
    /// `{` and `}` were on the same line.
    public let singleLine: Bool
}

public struct FileSyntax: Sendable {
    public let file: SourceFile
    public let entries: [Entry]
    /// Comments after the last entry.
    public let trailing: [Trivia]
}
