/// One input file, held as bytes. Immutable after creation, so it is shared freely across threads.
///
/// Invariant: `lineStarts[0] == 0`, and `lineStarts[i]` is the byte offset just after the i-th `\n`.
public final class SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    public let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    public convenience init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The 1-based line holding byte `offset` (an offset at EOF belongs to the last line).
    public func line(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// 1-based line and column; the column counts Unicode scalars, as editors do.
    public func location(of offset: Int) -> SourceLocation {
        let line = line(of: offset)
        let start = lineStarts[line - 1]
        let prefix = bytes[start..<min(offset, bytes.count)]
        let column = String(decoding: prefix, as: UTF8.self).unicodeScalars.count + 1
        return SourceLocation(offset: offset, line: line, column: column)
    }

    /// Byte range of a 1-based line, without its newline (or `\r\n`).
    public func lineRange(_ line: Int) -> Range<Int> {
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<max(start, end)
    }

    public func lineText(_ line: Int) -> String {
        String(decoding: bytes[lineRange(line)], as: UTF8.self)
    }

    public func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}

public struct SourceLocation: Sendable, Equatable {
    public let offset: Int
    public let line: Int
    public let column: Int
}

/// A half-open byte range `start..<end` in one file.
public struct Span: Sendable, Hashable, CustomStringConvertible {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        precondition(start <= end, "span start after end")
        self.file = file
        self.start = start
        self.end = end
    }

    public var text: String { file.text(start..<end) }

    /// The smallest span covering both (same file).
    public func to(_ other: Span) -> Span {
        Span(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public static func == (a: Span, b: Span) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }

    public func hash(into h: inout Hasher) {
        h.combine(ObjectIdentifier(file))
        h.combine(start)
        h.combine(end)
    }

    public var description: String {
        let loc = file.location(of: start)
        return "\(file.path):\(loc.line):\(loc.column)"
    }
}

/// A value together with the source span it came from.
public struct Located<Value: Sendable>: Sendable {
    public let value: Value
    public let span: Span

    public init(_ value: Value, _ span: Span) {
        self.value = value
        self.span = span
    }
}

extension Located: Equatable where Value: Equatable {}
