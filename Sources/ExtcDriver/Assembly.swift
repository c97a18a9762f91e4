import ExtcEmit
import ExtcLower

/// One build's output in apply order, and where each server's objects went in it: what a watch's
/// next build patches when the servers that changed still make objects of the same kinds and
/// names (a save that edits a field), instead of ordering and gathering thousands of objects again.
///
/// Invariant: `objects`, and `texts` (stream) or `files` (a layout, object files first, in the
/// same order, then the layout's own files), are exactly what `Assembly.full` makes from the
/// servers named in `servers`, with `positions[s][k]` the place of server `s`'s `k`-th carried
/// object. A patch keeps this: it replaces objects only where kinds, names and sensitivity
/// are unchanged, so the order, the file names and the layout's own files stay as they were.
final class Assembly {
    /// Each server's name, in program order.
    let servers: [String]
    let positions: [[Int]]
    let layout: Layout
    private(set) var objects: [KubeObject]
    /// Each object's YAML document (the stream's pieces); nil for a layout.
    private(set) var texts: [String]?
    /// A layout's files; nil for the stream.
    private(set) var files: [OutputFile]?
    /// Counts the builds of one watch: a patch says which assembly it changed.
    let generation: Int
    /// Whether any object holds keys (a patch keeps each object's sensitivity).
    let sensitive: Bool

    private init(servers: [String], positions: [[Int]], layout: Layout, objects: [KubeObject], texts: [String]?,
                 files: [OutputFile]?, generation: Int, sensitive: Bool) {
        (self.servers, self.positions, self.layout, self.objects) = (servers, positions, layout, objects)
        (self.texts, self.files, self.generation, self.sensitive) = (texts, files, generation, sensitive)
    }

    /// What one build made, per server: its objects, those the output carries (`Lowering.carried`),
    /// and, for YAML, each object's document and, for a layout, its path.
    struct Parts {
        let names: [String]
        let made: [[KubeObject]]
        let carried: [[Int]]
        let documents: [[String]]?
        let paths: [[String]]?
    }

    /// Orders every server's carried objects and gathers their texts and files.
    static func full(_ parts: Parts, options: BuildOptions, generation: Int) throws -> Assembly {
        let order = Lowering.order(parts.made, carried: parts.carried)
        var positions = parts.carried.map { [Int](repeating: 0, count: $0.count) }
        var next = [Int](repeating: 0, count: parts.made.count)
        for (p, (s, _)) in order.enumerated() {
            positions[s][next[s]] = p
            next[s] += 1
        }
        let all = order.map { parts.made[$0.server][$0.object] }
        let texts = parts.documents.map { d in order.map { d[$0.server][$0.object] } }
        let paths = parts.paths.map { p in order.map { p[$0.server][$0.object] } }
        let files = try Layouts.files(all, layout: options.layout, format: options.format, includeSecrets: options.includeSecrets,
                                      documents: texts, paths: paths)
        let stream = options.layout == .stream && options.format == .yaml && options.includeSecrets
        return Assembly(servers: parts.names, positions: positions, layout: options.layout, objects: all,
                        texts: stream ? texts : nil, files: stream ? nil : files, generation: generation,
                        sensitive: all.contains { $0.sensitive })
    }

    /// This assembly with the servers in `changed` replaced, and the places whose text that
    /// changed; or nil when that would change the order, a file's name or what the layout's own
    /// files say (then the caller assembles in full).
    /// Only for YAML with Secrets, whose files are one per carried object, in order. Takes the
    /// arrays over: the assembly must not be used again.
    func patched(_ parts: Parts, changed: [Int], options: BuildOptions, generation: Int) -> (Assembly, [Int])? {
        // (Array's == finds the same storage at once: a watch's build passes this assembly's own names.)
        guard options.format == .yaml, options.includeSecrets, options.layout == layout, let documents = parts.documents,
              parts.names == servers else { return nil }
        var changes: [Int] = []
        for s in changed {
            let list = parts.carried[s]
            guard list.count == positions[s].count else { return nil }
            for (k, i) in list.enumerated() {
                let p = positions[s][k], new = parts.made[s][i], old = self.objects[p]
                guard new.rank == old.rank, new.sensitive == old.sensitive, parts.paths.map({ $0[s][i] == self.files?[p].name }) ?? true else {
                    return nil
                }
                if documents[s][i] != (texts?[p] ?? files?[p].contents) { changes.append(p) }
            }
        }
        var (newObjects, newTexts, newFiles) = (objects, texts, files)
        (objects, texts, files) = ([], nil, nil)  // each array now has one owner: changed in place
        for s in changed {
            for (k, i) in parts.carried[s].enumerated() {
                let p = positions[s][k], o = parts.made[s][i]
                newObjects[p] = o
                newTexts?[p] = documents[s][i]
                newFiles?[p] = OutputFile(name: parts.paths![s][i], contents: documents[s][i], sensitive: o.sensitive)
            }
        }
        return (Assembly(servers: servers, positions: positions, layout: layout, objects: newObjects, texts: newTexts, files: newFiles,
                         generation: generation, sensitive: sensitive), changes.sorted())
    }

    /// The files to write: a layout's, or the stream as one file of the documents end to end.
    var outputFiles: [OutputFile] {
        if let files { return files }
        return [OutputFile(name: "", pieces: texts ?? [], sensitive: sensitive)]
    }
}
