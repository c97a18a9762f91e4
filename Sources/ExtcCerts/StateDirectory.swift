import ExtcCheck
import ExtcSyntax
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where a server's key material lives between builds:
///
///     <root>/.gitignore               keys and machine-local files; the certificates may be committed
///     <root>/.lock                    the build's lock (`StateLock`)
///     <root>/<server>/ca.crt, ca.key  generated serving CA (certificates 0644, keys 0600)
///     <root>/<server>/tls.crt, .key   serving certificate
///     <root>/<server>/etcd-ca.*       with `storage`: the etcd CA, and its leaves
///     <root>/<server>/etcd-{server,peer,client}.*
///     <root>/<server>/ca-next.*, ca-previous.*, rotation   a CA rotation in progress (`CARotation`)
///     <root>/<server>/.spec           the spec the state belongs to (`claim`)
///     <root>/<server>/.verified       facts learned about these exact files (`StateCache`)
///
/// The root is `.extc/` beside the spec file, or `--state DIR`. Directories are 0700.
public struct StateDirectory: Sendable {
    /// nil: beside each server's spec file.
    public let override: String?

    public init(override: String? = nil) { self.override = override }

    public func root(for server: APIServer) -> String { root(forSpec: server.span.file.path) }

    /// The root for the servers of the spec file at `path`.
    public func root(forSpec path: String) -> String {
        override ?? FileIO.resolve(".extc", relativeTo: FileIO.directory(of: path))
    }

    public func directory(for server: APIServer) -> String { "\(root(for: server))/\(server.name.value)" }

    /// Whether a build keeps anything for the server here: its own CA's material, or etcd's. A
    /// server whose certificates cert-manager issues keeps nothing.
    public static func keepsState(_ server: APIServer) -> Bool {
        server.certs.ca.value != .certManager && (server.certs.ca.value.isLocal || server.storage != nil)
    }

    /// The roots a build of these servers writes into, sorted, each once.
    public func roots(for servers: [APIServer]) -> [String] {
        Set(servers.filter(Self.keepsState).map(root(for:))).sorted()
    }

    /// Why a build could not make or write a server's directory, judged where the way there
    /// first meets something (an entry, even a dangling symlink): it must be a directory this
    /// process may write and enter. nil when the way is clear.
    func blocker(for server: APIServer) -> String? {
        guard let path = FileIO.nearest(directory(for: server), where: { FileIO.kind($0) != nil }) else { return nil }
        if !FileIO.isDirectory(path) { return "\(path) is not a directory" }
        if access(path, W_OK | X_OK) != 0 { return "\(path) is a directory extc may not write" }
        return nil
    }

    /// The spec a server's state belongs to is recorded in `<dir>/.spec`. Another spec claiming
    /// it while the recorded one still exists throws `Claimed`; a recorded spec that is gone
    /// (moved, renamed) hands the state over.
    func claim(for server: APIServer, write: Bool) throws {
        let dir = directory(for: server), record = "\(dir)/.spec"
        let spec = FileIO.canonical(server.span.file.path)
        if let bytes = try? FileIO.read(record) {
            let owner = String(String(decoding: bytes, as: UTF8.self).prefix { $0 != "\n" })
            if owner == spec { return }
            if FileIO.exists(owner) { throw Claimed(directory: dir, owner: owner, server: server.name.value) }
        }
        // Not synced: a record lost in a crash is written again by the next build.
        if write, FileIO.isDirectory(dir) { try FileIO.write(spec + "\n", to: record, mode: 0o644, durable: false) }
    }

    public struct Claimed: Error, CustomStringConvertible {
        let directory: String, owner: String, server: String
        public var description: String { "the certificate state \(directory) belongs to apiserver `\(server)` of \(owner)" }
    }

    /// Creates the root (0700 when extc creates it; an existing directory keeps its mode; a
    /// server's own directory is always 0700) with a .gitignore. A .gitignore extc did not write
    /// is extended with extc's lines, never replaced.
    func prepareRoot(_ root: String) throws {
        try FileIO.makeDirectory(root, mode: 0o700)
        let ignore = "\(root)/.gitignore"
        let ours = "# Written by extc: private keys live here and never leave. The certificates are public:\n"
            + "# commit them, and a fresh clone can run `extc build --check --no-secrets` without any key.\n"
            + "*.key\n*.key.*\n.lock\n.spec\n.verified\n"
        let existing = (try? FileIO.read(ignore)).map { String(decoding: $0, as: UTF8.self) }
        try FileIO.write(GitIgnore.merge(ours, into: existing), to: ignore, mode: 0o644)
    }
}

/// An exclusive lock on a state directory (`flock` on `.lock` in its root), held while one
/// build reads and issues: concurrent builds, watch and `certs --rotate` take turns, and the one
/// that waits reuses what the other issued, so they agree on one CA. Released on deinit (and by
/// the kernel when the process dies).
final class StateLock {
    private let fd: Int32

    init(_ root: String) throws {
        let path = "\(root)/.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw IOError.errno(path, "cannot open the state lock") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { close(fd); throw IOError.errno(path, "cannot lock the state") }
        }
    }

    deinit { close(fd) }
}

/// A certificate and its key as stored: the exact PEM text (so reuse is byte-identical), what the
/// certificate says (from the state's cache when these bytes were read before), and the parsed
/// objects, made only when needed.
final class StoredPair {
    let certPEM: String
    let keyPEM: String
    let info: CertificateInfo
    /// The directory's cache of facts about its certificates.
    let cache: StateCache
    private var parsedCert: Certificate?
    private var parsedKey: PrivateKey?

    init(certPEM: String, keyPEM: String, cert: Certificate?, key: PrivateKey?, info: CertificateInfo, cache: StateCache) {
        self.certPEM = certPEM
        self.keyPEM = keyPEM
        self.parsedCert = cert
        self.parsedKey = key
        self.info = info
        self.cache = cache
    }

    /// The certificate, parsed on first use.
    var cert: Certificate {
        get throws {
            if let c = parsedCert { return c }
            let c = try Certificate.parse(pem: certPEM)
            parsedCert = c
            return c
        }
    }

    /// The private key, parsed on first use: a warm build that reuses a pair it has verified
    /// before never parses its key (OpenSSL's key decoders are most of a warm build's cost).
    func key() throws -> PrivateKey {
        if let k = parsedKey { return k }
        let k = try PrivateKey.parse(pem: keyPEM)
        parsedKey = k
        return k
    }

    /// Whether the key is the certificate's. A pair whose exact bytes were verified before is not
    /// parsed again; throws when the key cannot be parsed.
    func keyMatches() throws -> Bool {
        if cache.hasPair(digest) { return true }
        let ok = CertificateInfo.matches(try cert, try key())
        if ok { cache.insertPair(digest) }
        return ok
    }

    /// Whether this certificate's signature verifies with `ca`'s key (and names it as issuer);
    /// remembered for these exact bytes.
    func isSigned(by ca: StoredPair) throws -> Bool {
        if cache.isSigned(certDigest, by: ca.certDigest) { return true }
        let ok = CertificateInfo.isSigned(try cert, by: try ca.cert)
        if ok { cache.insertSigned(certDigest, by: ca.certDigest) }
        return ok
    }

    /// The cache's key for this pair: the SHA-256 of both files' bytes.
    var digest: String { Digest.sha256(Array(certPEM.utf8) + [0] + Array(keyPEM.utf8)) }
    /// The cache's key for the certificate alone.
    var certDigest: String { Digest.sha256(Array(certPEM.utf8)) }

    /// nil when either file is absent; throws when the certificate is unusable (the key is read
    /// but parsed only when needed; the certificate only when the cache has not seen its bytes).
    static func load(certPath: String, keyPath: String) throws -> StoredPair? {
        guard FileIO.exists(certPath), FileIO.exists(keyPath) else { return nil }
        let certPEM = String(decoding: try FileIO.read(certPath), as: UTF8.self)
        let keyPEM = String(decoding: try FileIO.read(keyPath), as: UTF8.self)
        let cache = StateCache.of(FileIO.directory(of: certPath))
        let (info, cert) = try info(of: certPEM, cache: cache)
        return StoredPair(certPEM: certPEM, keyPEM: keyPEM, cert: cert, key: nil, info: info, cache: cache)
    }

    /// A certificate's facts from the cache, or parsed (and then cached); the parsed certificate
    /// when it had to be parsed.
    static func info(of certPEM: String, cache: StateCache) throws -> (CertificateInfo, Certificate?) {
        let digest = Digest.sha256(Array(certPEM.utf8))
        if let info = cache.info(digest) { return (info, nil) }
        let cert = try Certificate.parse(pem: certPEM)
        let info = try CertificateInfo(cert)
        cache.insertInfo(info, for: digest)
        return (info, cert)
    }

    /// Renames files within `dir`, in order (`from` -> `to`); each must exist.
    static func rename(_ moves: [(String, String)], in dir: String) throws {
        for (from, to) in moves {
            guard Glibc.rename("\(dir)/\(from)", "\(dir)/\(to)") == 0 else { throw IOError.errno("\(dir)/\(from)", "cannot rename to \(to)") }
        }
    }

    /// Renames each existing file to `NAME.SUFFIX` (never over an existing one); returns the new names.
    static func moveAside(_ paths: [String], suffix: String) throws -> [String] {
        var moved: [String] = []
        for path in paths where FileIO.exists(path) {
            var target = "\(path).\(suffix)", n = 1
            while FileIO.exists(target) { n += 1; target = "\(path).\(suffix)-\(n)" }
            guard Glibc.rename(path, target) == 0 else { throw IOError.errno(path, "cannot move the old CA aside") }
            moved.append(target)
        }
        return moved
    }

    /// Puts the key (0600) in place first, then the certificate (`FileIO.writeInOrder`): an
    /// interrupted write leaves a pair that does not match, which the next build detects and
    /// re-issues. With `staged`, the two files join the part's others, written when it commits;
    /// otherwise they are written now. The pair is known to match, so the cache records it as
    /// verified, with its facts.
    static func store(cert: Certificate, key: PrivateKey, certPath: String, keyPath: String, write: Bool,
                      staged: StagedFiles? = nil) throws -> StoredPair {
        let keyPEM = try key.pem()
        let certPEM = try cert.pem()
        if write {
            let files: [(text: String, path: String, mode: mode_t)] = [(keyPEM, keyPath, 0o600), (certPEM, certPath, 0o644)]
            if let staged { staged.add(files) } else { try FileIO.writeInOrder(files) }
        }
        let cache = StateCache.of(FileIO.directory(of: certPath))
        let info = try CertificateInfo(cert)
        let pair = StoredPair(certPEM: certPEM, keyPEM: keyPEM, cert: cert, key: key, info: info, cache: cache)
        if write {
            cache.insertInfo(info, for: pair.certDigest)
            cache.insertPair(pair.digest)
        }
        return pair
    }
}

/// The state files one part of a build issues (a CA and the leaves it signs), written together
/// when the part ends, in the order they were issued (`FileIO.writeInOrder`: all synced at once,
/// then renamed in order, so each key before its certificate and a CA before its leaves): an etcd
/// chain's eight files in one batch, where one pair at a time made four rounds of syncs.
///
/// Invariant: nothing in the part reads or renames a staged path before the commit. So only the
/// etcd part and a serving part outside a CA rotation stage (a rotation renames ca.* on disk);
/// each path is read before it is issued, and a new CA's predecessor is moved aside first.
/// Nothing is published before the commit: the output is written after every part ends.
final class StagedFiles {
    private var files: [(text: String, path: String, mode: mode_t)] = []

    func add(_ more: [(text: String, path: String, mode: mode_t)]) { files += more }

    func commit() throws {
        guard !files.isEmpty else { return }
        try FileIO.writeInOrder(files)
        files = []
    }
}
