/// A unified diff of two texts, by lines (for `extc fmt --diff`). Common prefix and suffix are
/// trimmed first; the middle is diffed by longest common subsequence, or shown as one replacement
/// when it is too large for that.
public enum LineDiff {
    enum Op: Equatable {
        case same(String)
        case removed(String)
        case added(String)

        /// The line is in the old text.
        var isOld: Bool { if case .added = self { return false } else { return true } }
        /// The line is in the new text.
        var isNew: Bool { if case .removed = self { return false } else { return true } }
    }

    /// `label` names the new side in the `+++` line: `(formatted)` for fmt, `(built)` for build.
    public static func unified(_ a: String, _ b: String, path: String, label: String = "(formatted)", context: Int = 3) -> String {
        let ops = diff(lines(a), lines(b))
        let changed = ops.indices.filter { if case .same = ops[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        // Changes closer than 2 * context share a hunk.
        var hunks: [ClosedRange<Int>] = []
        for c in changed {
            if let last = hunks.last, c - last.upperBound <= 2 * context { hunks[hunks.count - 1] = last.lowerBound...c }
            else { hunks.append(c...c) }
        }
        var out = "--- \(path)\n+++ \(path) \(label)\n"
        for h in hunks {
            let range = max(0, h.lowerBound - context)..<min(ops.count, h.upperBound + context + 1)
            let before = ops[..<range.lowerBound]
            let hunk = ops[range]
            out += "@@ -\(before.filter(\.isOld).count + 1),\(hunk.filter(\.isOld).count)"
                + " +\(before.filter(\.isNew).count + 1),\(hunk.filter(\.isNew).count) @@\n"
            for op in hunk {
                switch op {
                case .same(let l): out += " \(l)\n"
                case .removed(let l): out += "-\(l)\n"
                case .added(let l): out += "+\(l)\n"
                }
            }
        }
        return out
    }

    /// Lines split on LF bytes (a Swift Character would keep `\r\n` whole, so a CRLF file would
    /// be one line); each keeps its `\r`, which is part of the line's content in a unified diff.
    static func lines(_ s: String) -> [String] {
        var ls = s.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if ls.last == "" { ls.removeLast() }
        return ls
    }

    static func diff(_ x: [String], _ y: [String]) -> [Op] {
        var p = 0
        while p < x.count, p < y.count, x[p] == y[p] { p += 1 }
        var s = 0
        while s < x.count - p, s < y.count - p, x[x.count - 1 - s] == y[y.count - 1 - s] { s += 1 }
        let a = Array(x[p..<(x.count - s)]), b = Array(y[p..<(y.count - s)])
        var middle: [Op]
        if a.count * b.count > 4_000_000 {
            middle = a.map(Op.removed) + b.map(Op.added)
        } else {
            middle = lcs(a, b)
        }
        return x[..<p].map(Op.same) + middle + x[(x.count - s)...].map(Op.same)
    }

    private static func lcs(_ a: [String], _ b: [String]) -> [Op] {
        let n = a.count, m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] { ops.append(.same(a[i])); i += 1; j += 1 }
            else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] { ops.append(.removed(a[i])); i += 1 }
            else { ops.append(.added(b[j])); j += 1 }
        }
        return ops
    }
}
