/// A `.gitignore` extc shares with its owner: extc's lines are added, the owner's kept.
public enum GitIgnore {
    public static let header = "# Written by extc"

    /// `ours` when there is no file or extc wrote it; otherwise the existing text with any of our
    /// patterns it lacks appended under a comment.
    public static func merge(_ ours: String, into existing: String?) -> String {
        guard let existing, !existing.isEmpty, !existing.hasPrefix(header) else { return ours }
        let have = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: " ") })
        let missing = ours.split(separator: "\n").filter { !$0.hasPrefix("#") && !have.contains(String($0)) }
        if missing.isEmpty { return existing }
        return existing + (existing.hasSuffix("\n") ? "" : "\n") + "# Added by extc: what holds private keys\n"
            + missing.map { "\($0)\n" }.joined()
    }
}

extension GitIgnore {
    /// `text` with every pattern of `other` it lacks appended: a file that ignores what either
    /// ignores (`text` itself when `other` is nil or adds nothing).
    public static func covering(_ text: String, _ other: String?) -> String {
        guard let other else { return text }
        let have = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: " ") })
        let missing = other.split(separator: "\n").filter { !$0.hasPrefix("#") && !have.contains($0.trimmingCharacters(in: " ")) }
        if missing.isEmpty { return text }
        return text + (text.hasSuffix("\n") || text.isEmpty ? "" : "\n") + missing.map { "\($0)\n" }.joined()
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
