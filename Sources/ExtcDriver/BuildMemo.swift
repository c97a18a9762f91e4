import ExtcCerts
import ExtcCheck
import ExtcEmit
import ExtcLower
import ExtcSyntax

/// What a watch keeps from one build to the next, per server, so that saving one spec among many
/// rebuilds what that spec makes and reuses the rest.
///
/// Invariants (each keeps a reused result equal to what a build from scratch would make):
/// - A server's IR is a function of its spec file's bytes (the checker reads nothing else), so an
///   entry is used only while `FrontEnd` says the file has not been parsed again since.
/// - A server that reads other files (`ca files`, `volume { files }`) is never reused: a watch
///   sees those files change, but nothing ties the change to the entry.
/// - Its certificate outcome is reused only without `--rotate`, while nothing in its state
///   directory changed (the watcher reports every event there, and watches the path anew when
///   it comes to name another directory), for at most `certificateAge` seconds, and only when it
///   carried no diagnostic (a warning is said again by the next build that finds it). Whatever
///   depends on the clock (a renewal window opening, a certificate expiring, a CA rotation's
///   grace period ending) is therefore found within that time, not at once.
/// - Objects, cross-object findings and texts are reused only with the same material and format;
///   findings only when the server keeps the same objects after namespaces are shared out.
/// - A build may look only at the servers whose parse changed and the volatile ones (`delta`),
///   when every other entry is known to stand by the rules above without reading it: the same
///   servers in the same order, no state directory changed, the same options, and every
///   outcome younger than `certificateAge` (`Standing`).
public final class BuildMemo {
    /// What the last build reused: servers whose certificates were not checked again, and servers
    /// whose objects and text were kept, of `servers`.
    public struct Reuse: Sendable, Equatable {
        public var servers = 0
        public var certificates = 0
        public var objects = 0

        public init(servers: Int = 0, certificates: Int = 0, objects: Int = 0) {
            (self.servers, self.certificates, self.objects) = (servers, certificates, objects)
        }
    }

    public private(set) var lastReuse = Reuse()
    /// How many servers the last build looked at: all, or those a delta named.
    public private(set) var lastLooked = 0

    /// How long a reused certificate outcome may stand before it is checked again, in seconds.
    public static let certificateAge = 60

    private let frontEnd: FrontEnd
    private var entries: [String: Entry] = [:]
    /// The last build's servers, their names and entries, in program order.
    private var lastServers: [APIServer] = []
    private(set) var lastNames: [String] = []
    private var lastEntries: [Entry] = []
    /// The last build's paths in a directory layout, position by position as `lastEntries`
    /// (each server's objects' paths in that layout): carried to the next build, which changes
    /// the places of the servers it made anew and touches no other.
    private var lastPaths: (layout: Layout, paths: [[String]])?
    /// The last build's results, position by position as `lastEntries`, and what says they
    /// stand; taken by a delta, which gives them back changed.
    private var columns: Columns?
    private var summary: Standing?
    /// The last build's output, for the next to patch; taken (and so owned) by the build that uses it.
    private var assembly: Assembly?
    /// How many builds have been recorded.
    public private(set) var generation = 0
    /// State directories in which something changed since the last build.
    private var changedStates: Set<String> = []

    public init(frontEnd: FrontEnd) { self.frontEnd = frontEnd }

    /// Forget everything (after the watch lost events).
    public func reset() {
        entries.removeAll()
        (lastServers, lastNames, lastEntries, lastPaths) = ([], [], [], nil)
        (columns, summary) = (nil, nil)
        assembly = nil
        changedStates.removeAll()
    }

    /// Something in `directory` (a server's state directory) changed.
    public func stateChanged(_ directory: String) { changedStates.insert(directory) }

    /// The server's spec revision, or nil when it reads files besides its spec.
    func revision(of server: APIServer) -> Int? {
        server.readsFiles ? nil : frontEnd.revision(of: server.span.file.path)
    }

    /// The last build's entry for this server, if its spec is the one that build saw.
    func entry(for server: APIServer) -> Entry? {
        guard let e = entries[server.name.value], let r = e.revision, r == revision(of: server) else { return nil }
        return e
    }

    /// The last build's entries, when `servers` are its servers (the same names) in its order.
    func alignedEntries(_ servers: [APIServer]) -> [Entry]? {
        guard servers.count == lastServers.count else { return nil }
        for i in servers.indices where servers[i] !== lastServers[i] && servers[i].name.value != lastNames[i] { return nil }
        return lastEntries
    }

    /// `entry(for:)` of each server. A server that is the very object the last build had at
    /// its place (its file's parse was kept, so its revision is the same) takes that build's
    /// entry without a lookup.
    func entries(for servers: [APIServer]) -> [Entry?] {
        let aligned = servers.count == lastServers.count
        return servers.indices.map { i in
            if aligned, servers[i] === lastServers[i], lastEntries[i].revision != nil { return lastEntries[i] }
            return entry(for: servers[i])
        }
    }

    /// Whether each server's certificate outcome still stands (see the invariants), from its
    /// entry (`previous`, aligned with `servers`; none: it does not); then nothing is done for
    /// it, and the build carries the entry's material. A server is looked at only when a state
    /// directory changed: a save among a thousand servers reads each entry's two fields alone.
    func standing(_ previous: [Entry?], _ servers: [APIServer], certs: CertBackend, rotate: Rotation, now: Int) -> [Bool] {
        guard rotate == .none else { return [Bool](repeating: false, count: servers.count) }
        return servers.indices.map { i in
            guard let e = previous[i], e.quiet, now - e.checkedAt < Self.certificateAge, now >= e.checkedAt else { return false }
            return changedStates.isEmpty || !changedStates.contains(certs.state.directory(for: servers[i]))
        }
    }

    /// The last build's paths, if it made them in `layout` for `count` servers; taken, so that
    /// the caller's changes are made in place.
    func takePaths(_ layout: Layout, count: Int) -> [[String]]? {
        defer { lastPaths = nil }
        guard let last = lastPaths, last.layout == layout, last.paths.count == count else { return nil }
        return last.paths
    }

    /// The last build's output, which the caller now owns (nil when there is none to patch).
    func takeAssembly() -> Assembly? {
        defer { assembly = nil }
        return assembly
    }

    /// The places a build must look at when every other server's entry stands as the last build
    /// left it (see the invariants): the servers that are not the very objects the last build
    /// had there (their files were parsed again), and the volatile ones; sorted. nil: the build
    /// looks at every server (servers added, removed or reordered, a state directory changed,
    /// other options, `--rotate`, an outcome due to be checked again, an entry with cross-object
    /// findings, which the build would have to say again, or no last output, columns or paths
    /// to change: a build that took them stopped before it gave them back).
    func delta(_ servers: [APIServer], options: BuildOptions, now: Int) -> [Int]? {
        guard let s = summary, columns != nil, assembly != nil, options.rotate == .none, changedStates.isEmpty, s.withChecks.isEmpty,
              (options.format, options.layout, options.includeSecrets) == (s.format, s.layout, s.includeSecrets),
              servers.count == lastServers.count, now >= s.newest, now - Self.certificateAge < s.oldest,
              options.layout == .stream || lastPaths?.layout == options.layout else { return nil }
        var changed: [Int] = []
        for i in servers.indices where servers[i] !== lastServers[i] {
            guard servers[i].name.value == lastNames[i] else { return nil }
            changed.append(i)
        }
        return s.volatile.isEmpty ? changed : Set(changed + s.volatile).sorted()
    }

    /// The entry the last build made at `place`.
    func lastEntry(at place: Int) -> Entry { lastEntries[place] }

    /// The last build's columns, which the caller (a delta) now owns and gives back to `record`.
    func takeColumns() -> Columns? {
        defer { columns = nil }
        return columns
    }

    /// A delta's build: the entries at `places` (sorted; `new` in the same order), the columns
    /// taken and changed there, and its output. Every other place stands as it was.
    func record(_ new: [Entry], at places: [Int], of servers: [APIServer], reuse: Reuse, columns: Columns, assembly: Assembly,
                paths: [[String]]?) {
        recordOutput(reuse, looked: places.count, assembly: assembly, paths: paths)
        for (k, i) in places.enumerated() where new[k] !== lastEntries[i] {
            entries[lastNames[i]] = new[k]
            lastEntries[i] = new[k]
        }
        for i in places { lastServers[i] = servers[i] }
        self.columns = columns
        summary?.update(places, new)
    }

    private func recordOutput(_ reuse: Reuse, looked: Int, assembly: Assembly, paths: [[String]]?) {
        (lastReuse, lastLooked) = (reuse, looked)
        lastPaths = paths.map { (assembly.layout, $0) }
        self.assembly = assembly
        generation = assembly.generation
        changedStates.removeAll()
    }

    /// This build's entries (in program order, as the output's servers), its columns and output;
    /// servers that are gone are dropped.
    func record(_ new: [Entry], of servers: [APIServer], reuse: Reuse, options: BuildOptions, columns: Columns, assembly: Assembly,
                paths: [[String]]?) {
        recordOutput(reuse, looked: servers.count, assembly: assembly, paths: paths)
        let names = assembly.servers
        if names == lastNames {
            // The same servers: only the entries made anew change.
            for i in new.indices where new[i] !== lastEntries[i] { entries[names[i]] = new[i] }
        } else {
            entries = Dictionary(minimumCapacity: names.count)
            for (name, entry) in zip(names, new) { entries[name] = entry }
        }
        // The servers in an array of the memo's own (never the program's, which the compile's
        // index keeps and changes in place), changed in place by a delta.
        (lastServers, lastNames, lastEntries) = (servers.map { $0 }, names, new)
        self.columns = columns
        summary = Standing(new, options: options)
    }
}
