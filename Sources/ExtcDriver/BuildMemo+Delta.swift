import ExtcEmit
import ExtcLower
import ExtcSyntax

extension BuildMemo {
    /// The last build's per-server results, position by position as its entries (each entry's
    /// own fields, gathered): what a build that looks at a few servers (`delta`) changes in place,
    /// at those servers' places alone.
    struct Columns {
        var made: [[KubeObject]]
        var namespaces: [[Int]]
        var carried: [[Int]]
        var checks: [[Diagnostic]]
        /// nil for JSON.
        var documents: [[String]]?
    }

    /// What says, without looking at them, that the last build's entries still stand: the
    /// options they were made with, the range of their outcomes' times, and the places of the
    /// entries that never stand (`Entry.volatile`) and of those with cross-object findings.
    /// The times may be wider than the entries' own (a delta keeps the oldest it knew): that
    /// only sends a build down the full path sooner.
    struct Standing {
        let format: OutputFormat
        let layout: Layout
        let includeSecrets: Bool
        var oldest: Int
        var newest: Int
        /// Sorted places.
        var volatile: [Int]
        var withChecks: [Int]

        init(_ entries: [Entry], options: BuildOptions) {
            (format, layout, includeSecrets) = (options.format, options.layout, options.includeSecrets)
            (oldest, newest) = (Int.max, Int.min)
            (volatile, withChecks) = ([], [])
            update(entries.indices, entries)
        }

        /// Takes in the entries now at `places` (sorted), which replace those there before.
        mutating func update<P: Collection<Int>>(_ places: P, _ entries: [Entry]) {
            var (volatileNow, checkedNow): ([Int], [Int]) = ([], [])
            for (k, i) in places.enumerated() {
                let e = entries[k]
                if e.volatile { volatileNow.append(i) } else { (oldest, newest) = (min(oldest, e.checkedAt), max(newest, e.checkedAt)) }
                if !e.checks.isEmpty { checkedNow.append(i) }
            }
            volatile = volatile.places(without: places, adding: volatileNow)
            withChecks = withChecks.places(without: places, adding: checkedNow)
        }
    }
}
