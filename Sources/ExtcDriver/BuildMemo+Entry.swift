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
