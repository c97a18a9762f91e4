/// A `.gitignore` extc shares with its owner: extc's lines are added, the owner's kept.
public enum GitIgnore {
    public static let header = "# Written by extc"

    /// `ours` when there is no file or extc wrote it; otherwise the existing text with any of our
    /// patterns it lacks appended under a comment.
    public static func merge(_ ours: String, into existing: String?) -> String {
        guard let existing, !existing.isEmpty, !existing.hasPrefix(header) else { return ours }
        return appending(patterns(of: ours, missingFrom: existing), to: existing, under: "# Added by extc: what holds private keys")
    }

    /// `text` with every pattern of `other` it lacks appended: a file that ignores what either
    /// ignores (`text` itself when `other` is nil or adds nothing).
    public static func covering(_ text: String, _ other: String?) -> String {
        guard let other else { return text }
        return appending(patterns(of: other, missingFrom: text), to: text, under: nil)
    }

    /// The lines of `text` that are patterns (not comments) `other` lacks (lines compared trimmed).
    private static func patterns(of text: String, missingFrom other: String) -> [Substring] {
        let have = Set(other.split(separator: "\n").map { $0.trimmingCharacters(in: " ") })
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !have.contains($0.trimmingCharacters(in: " ")) }
    }

    /// `text` with `lines` added at its end, under `comment` if one is given; `text` when there are none.
    private static func appending(_ lines: [Substring], to text: String, under comment: String?) -> String {
        if lines.isEmpty { return text }
        let separator = text.isEmpty || text.hasSuffix("\n") ? "" : "\n"
        return text + separator + (comment.map { "\($0)\n" } ?? "") + lines.map { "\($0)\n" }.joined()
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
