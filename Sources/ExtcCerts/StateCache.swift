import ExtcSyntax
import Synchronization

/// What a build learned about a state directory's certificates, so the next build need not parse
/// them again (in OpenSSL 3, parsing a certificate decodes its public key, which costs more than
/// anything else a warm build does). Kept in the directory's `.verified` (machine-local,
/// git-ignored, 0600, not synced), one fact per line:
///
///     <sha256 of cert + key>                        the key was checked against the certificate
///     i <sha256 of cert> <field>\t<field>...        the certificate's CertificateInfo
///     s <sha256 of leaf> <sha256 of CA>             the leaf's signature verified with the CA
///
/// Every fact is keyed by digests of exact bytes: a changed file is a miss, never a stale answer.
/// One instance per directory per process, shared by a server's serving and etcd parts.
final class StateCache: Sendable {
    private struct Facts {
        var pairs: Set<String> = []
        var infos: [String: CertificateInfo] = [:]
        var signed: Set<String> = []
        var dirty = false
    }

    private let path: String
    private let facts: Mutex<Facts>
    /// Every directory's cache, in shards by the directory's hash: 16 parts at once would
    /// otherwise queue on one lock (at 10,000 servers that was a tenth of a warm build).
    private final class Shard: Sendable { let caches = Mutex<[String: StateCache]>([:]) }
    private static let shards = (0..<64).map { _ in Shard() }
    private static func shard(_ directory: String) -> Shard { shards[Int(UInt(bitPattern: directory.hashValue) % 64)] }

    private init(directory: String) {
        path = "\(directory)/.verified"
        var f = Facts()
        // Split as bytes, not Characters: the record is ASCII, and splitting it as text (grapheme
        // by grapheme) was a fifth of `extc check` over 1,000 servers.
        let bytes = (try? FileIO.read(path)) ?? []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2).map { String(decoding: $0, as: UTF8.self) }
            switch (parts.count, parts.first) {
            case (1, _) where parts[0].count == 64: f.pairs.insert(parts[0])
            case (3, "i"): if let info = CertificateInfo(cached: parts[2]) { f.infos[parts[1]] = info }
            case (3, "s"): f.signed.insert("\(parts[1]) \(parts[2])")
            default: continue
            }
        }
        facts = Mutex(f)
    }

    /// The directory's cache, read on first use. Read outside the lock (every part of a build
    /// opens its directory's at once); if two threads read one, the first kept wins.
    static func of(_ directory: String) -> StateCache {
        let registry = shard(directory)
        if let c = registry.caches.withLock({ $0[directory] }) { return c }
        let loaded = StateCache(directory: directory)
        return registry.caches.withLock { all in
            if let c = all[directory] { return c }
            all[directory] = loaded
            return loaded
        }
    }

    // An empty key is a digest that failed (`Digest.sha256`): never found, never stored, so a
    // failure is a miss and never another file's answer.
    func hasPair(_ digest: String) -> Bool { !digest.isEmpty && facts.withLock { $0.pairs.contains(digest) } }
    func insertPair(_ digest: String) {
        guard !digest.isEmpty else { return }
        learn { $0.pairs.insert(digest).inserted }
    }

    func info(_ certDigest: String) -> CertificateInfo? { certDigest.isEmpty ? nil : facts.withLock { $0.infos[certDigest] } }
    func insertInfo(_ info: CertificateInfo, for certDigest: String) {
        guard info.cacheLine != nil, !certDigest.isEmpty else { return }
        learn { $0.infos.updateValue(info, forKey: certDigest) == nil }
    }

    func isSigned(_ leaf: String, by ca: String) -> Bool {
        !leaf.isEmpty && !ca.isEmpty && facts.withLock { $0.signed.contains("\(leaf) \(ca)") }
    }
    func insertSigned(_ leaf: String, by ca: String) {
        guard !leaf.isEmpty, !ca.isEmpty else { return }
        learn { $0.signed.insert("\(leaf) \(ca)").inserted }
    }

    /// Records a fact (`change` says whether it is new); a cache that comes to have something
    /// to save joins the caches `saveAll` writes.
    private func learn(_ change: (inout Facts) -> Bool) {
        let joined = facts.withLock { f -> Bool in
            let wasDirty = f.dirty
            f.dirty = change(&f) || f.dirty
            return f.dirty && !wasDirty
        }
        if joined { Self.unsaved.withLock { $0.append(self) } }
    }

    /// The caches that have learned something since they were last saved: a build saves these,
    /// not every directory's cache the process holds (a watch holds a thousand).
    private static let unsaved = Mutex<[StateCache]>([])

    /// Writes the record if anything was learned (sorted, so the file is stable).
    func save() throws {
        let text: String? = facts.withLock { f in
            guard f.dirty else { return nil }
            f.dirty = false
            return (f.pairs.sorted() + f.infos.compactMap { d, i in i.cacheLine.map { "i \(d) \($0)" } }.sorted() + f.signed.map { "s \($0)" }.sorted())
                .map { "\($0)\n" }.joined()
        }
        guard let text, FileIO.isDirectory(FileIO.directory(of: path)) else { return }
        // A cache: not synced (a lost record means the next build parses again).
        try FileIO.write(text, to: path, mode: 0o600, durable: false)
    }

    /// Saves every directory's cache this process has learned something for.
    static func saveAll() {
        let caches = unsaved.withLock { all -> [StateCache] in
            defer { all = [] }
            return all
        }
        for cache in caches { try? cache.save() }
    }
}

extension CertificateInfo {
    /// The fields, tab-separated (names comma-separated), for the cache; nil when a value would
    /// not read back (a tab or newline anywhere, a comma or nothing in a name): such a
    /// certificate is simply parsed each time.
    var cacheLine: String? {
        guard !(dnsNames + ipAddresses).contains(where: { $0.isEmpty || $0.contains(",") }) else { return nil }
        let fields = [commonName, dnsNames.joined(separator: ","), ipAddresses.joined(separator: ","), usage.server ? "1" : "0",
                      usage.client ? "1" : "0", String(notBefore), String(notAfter), isCA ? "1" : "0", key.isRSA ? "1" : "0",
                      String(key.bits), sha256, String(serialBits)]
        guard !fields.contains(where: { $0.contains("\t") || $0.contains("\n") }) else { return nil }
        return fields.joined(separator: "\t")
    }

    init?(cached line: String) {
        let f = line.utf8.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard f.count == 12, let notBefore = Int(f[5]), let notAfter = Int(f[6]), let bits = Int(f[9]), let serialBits = Int(f[11]) else { return nil }
        let list = { (s: String) in s.utf8.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) } }
        self.init(commonName: f[0], dnsNames: list(f[1]), ipAddresses: list(f[2]), usage: CertificateUsage(server: f[3] == "1", client: f[4] == "1"),
                  notBefore: notBefore, notAfter: notAfter, isCA: f[7] == "1", key: KeyAlgorithmInfo(isRSA: f[8] == "1", bits: bits),
                  sha256: f[10], serialBits: serialBits)
    }
}
