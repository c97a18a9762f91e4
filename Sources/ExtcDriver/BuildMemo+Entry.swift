import ExtcCerts
import ExtcEmit
import ExtcLower
import ExtcSyntax

extension BuildMemo {
    /// A class: a build reads several fields of each of a thousand entries, never copying one.
    final class Entry {
        /// The spec file's parse the server came from; nil: the server is never reused.
        let revision: Int?
        let outcome: CertOutcome
        /// The outcome said nothing (no diagnostic to say again).
        let quiet: Bool
        /// When the outcome was last made (not reused).
        let checkedAt: Int
        let tls: ServerTLS
        let format: OutputFormat
        let objects: [KubeObject]
        /// The objects (indices into `objects`) the output carries after namespaces are shared out,
        /// in output order (`Lowering.carried`).
        let kept: [Int]
        /// The Namespaces among `objects` (`Lowering.namespaces`).
        let namespaces: [Int]
        /// Those of them left out because an earlier server makes them.
        let leftOut: [Int]
        let checks: [Diagnostic]
        let documents: [String]?
        let layout: Layout
        /// Each object's path in `layout` (`Layouts.paths`); nil for the stream.
        let paths: [String]?

        init(revision: Int?, outcome: CertOutcome, checkedAt: Int, tls: ServerTLS, format: OutputFormat, objects: [KubeObject],
             kept: [Int], namespaces: [Int], leftOut: [Int], checks: [Diagnostic], documents: [String]?, layout: Layout, paths: [String]?) {
            (self.revision, self.outcome, self.checkedAt, self.tls, self.format) = (revision, outcome, checkedAt, tls, format)
            quiet = outcome.diagnostics.isEmpty
            (self.objects, self.kept, self.namespaces, self.leftOut, self.checks) = (objects, kept, namespaces, leftOut, checks)
            (self.documents, self.layout, self.paths) = (documents, layout, paths)
        }

        /// The next build must look at this server whatever changed: it reads files besides its
        /// spec, or its outcome said something that must be said again.
        var volatile: Bool { revision == nil || !quiet }
    }
}

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
