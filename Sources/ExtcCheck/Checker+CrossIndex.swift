import ExtcSyntax

extension Checker {
    /// The names compared across servers, kept from one combine to the next (a watch's): when the
    /// last combine found no clash, the next compares only the files that changed with the
    /// rest, instead of a thousand servers' names again. Any clash makes the combine a full one.
    public final class CrossIndex {
        /// The checks of the last combine, its own array (never the caller's: each is changed in place).
        private var files: [FileCheck] = []
        /// The places in `files` whose check has diagnostics, sorted.
        private(set) var noisy: [Int] = []
        /// The places in `files` with a server that reads files (`APIServer.readsFiles`), sorted.
        private var reading: [Int] = []
        private var tables = CrossTables(servers: 0, keys: [])
        /// The tables hold every name of `files` once: the last combine found no clash.
        private var valid = false
        /// The servers of `files` in program order, and where each name is in it; nil when an
        /// update changed which names there are (they are then sorted again).
        private(set) var programOrder: [APIServer]?
        private var position: [String: Int] = [:]

        public init() {}

        /// Takes `checks` in, if the last combine found no clash and neither do the files that
        /// changed since (each `FileCheck` is a file's one check, so identity says which changed).
        /// False, with the index no longer valid, when a full combine must say what clashes.
        func update(_ checks: [FileCheck]) -> Bool {
            guard valid else { return false }
            valid = false
            let (gone, added) = Self.difference(files, checks)
            guard exchange(gone, added) else { return false }
            if files.count == checks.count { reorder(gone, added) } else { programOrder = nil }
            (files, valid) = (checks.map { $0 }, true)
            (noisy, reading) = Self.marks(files)
            return true
        }

        /// `update` when the caller knows which places changed (`changed`, sorted; the same
        /// number of files): only those files are read. The program order when it stands (the
        /// servers keep their names and places); nil, with the index no longer valid, when a
        /// full combine must say what clashes or sort the servers again.
        func update(_ checks: [FileCheck], at changed: [Int]) -> [APIServer]? {
            guard valid, files.count == checks.count else { return nil }
            valid = false
            let places = changed.filter { files[$0] !== checks[$0] }
            let (gone, added) = (places.map { files[$0] }, places.map { checks[$0] })
            guard exchange(gone, added) else { return nil }
            reorder(gone, added)
            guard programOrder != nil else { return nil }
            for p in places { files[p] = checks[p] }
            let marked = Self.marks(places.map { checks[$0] })
            noisy = noisy.places(without: places, adding: marked.noisy.map { places[$0] })
            reading = reading.places(without: places, adding: marked.reading.map { places[$0] })
            valid = true
            return programOrder
        }

        /// The places among `checks` with diagnostics, and with a server that reads files.
        static func marks(_ checks: [FileCheck]) -> (noisy: [Int], reading: [Int]) {
            (checks.indices.filter { !checks[$0].diagnostics.isEmpty }, checks.indices.filter { checks[$0].servers.contains(where: \.readsFiles) })
        }

        /// The servers that read files, in program order (valid after `update(_:at:)` gave an order).
        var readers: [APIServer] {
            reading.flatMap { files[$0].servers.filter(\.readsFiles) }.sorted { position[$0.name.value]! < position[$1.name.value]! }
        }

        /// Takes the names of the checks `gone` out of the tables and puts those of `added` in;
        /// false when one of them clashes (the tables then hold a name twice: no longer exact).
        private func exchange(_ gone: [FileCheck], _ added: [FileCheck]) -> Bool {
            for f in gone {
                for (s, k) in zip(f.servers, f.keys) { tables.remove(s, k) }
            }
            var bag = DiagnosticBag()
            for f in added {
                for (s, k) in zip(f.servers, f.keys) { tables.add(s, k, &bag) }
            }
            return bag.items.isEmpty
        }

        /// Puts each changed file's servers in `programOrder` in the places of those it had
        /// before (`gone[i]` and `added[i]` are one file's checks), while their names are the
        /// same, in the same order; otherwise leaves `programOrder` nil (to be made in full).
        private func reorder(_ gone: [FileCheck], _ added: [FileCheck]) {
            // Taken, so that the array changes in place (unless a caller still holds it).
            guard var order = programOrder else { return }
            programOrder = nil
            for (old, new) in zip(gone, added) {
                guard old.servers.count == new.servers.count else { return }
                for (o, n) in zip(old.servers, new.servers) {
                    guard o.name.value == n.name.value, let p = position[o.name.value] else { return }
                    order[p] = n
                }
            }
            programOrder = order
        }

        /// The checks only `old` has, and those only `new` has. With as many files, position by
        /// position (a file that moved is both, which removing all before adding allows).
        static func difference(_ old: [FileCheck], _ new: [FileCheck]) -> (gone: [FileCheck], added: [FileCheck]) {
            if old.count == new.count {
                let changed = old.indices.filter { old[$0] !== new[$0] }
                return (changed.map { old[$0] }, changed.map { new[$0] })
            }
            let before = Set(old.map(ObjectIdentifier.init)), now = Set(new.map(ObjectIdentifier.init))
            return (old.filter { !now.contains(ObjectIdentifier($0)) }, new.filter { !before.contains(ObjectIdentifier($0)) })
        }

        /// After a full combine of `checks`: the tables it made, kept only when it found no clash,
        /// and the servers in program order.
        func reset(_ checks: [FileCheck], _ tables: CrossTables, clean: Bool, order: [APIServer]) {
            (files, self.tables, valid) = (checks.map { $0 }, tables, clean)
            (noisy, reading) = Self.marks(files)
            programOrder = order
            position = Dictionary(order.enumerated().map { ($1.name.value, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
