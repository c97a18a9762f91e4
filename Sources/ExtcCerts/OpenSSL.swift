import COpenSSL
import COpenSSLShim
import ExtcSyntax

/// OpenSSL's one-time initialisation, done explicitly so that it skips the system's openssl.cnf:
/// what extc makes depends only on the spec and OpenSSL's built-in defaults, never on how the
/// machine configured OpenSSL (and reading that file costs every build a millisecond).
/// Invariant: every OpenSSL call follows one of the roots that evaluate `ready` (generating a key,
/// parsing a key, parsing a certificate, a digest); everything else works on what those return.
/// (`OpenSSLInfo.version` alone reads a constant string, which needs no initialisation.)
/// Also without OpenSSL's exit-time clean-up: the process may end while `OpenSSLWarmUp` is still
/// working on another thread, and freeing OpenSSL's tables under it would crash at exit.
enum OpenSSLLibrary {
    static let ready: Bool = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT), nil) == 1
}

/// OpenSSL 3 builds its provider tables on the first use of each kind of operation: the first key,
/// signature, PEM encoding and digest of a process cost about 3 ms together, against 0.25 ms for a
/// whole certificate afterwards. `start()` pays that on another core while the command line is
/// parsed and the specs are checked, by making a throwaway CA in memory (an ECDSA P-256 key, a
/// self-signed certificate, both as PEM, a SHA-256 digest). Nothing it makes is kept or written;
/// what extc issues does not depend on whether it ran, finished, or failed.
public enum OpenSSLWarmUp {
    public static func start() {
        guard !CertBackend.sequential else { return }  // EXTC_JOBS=1: one thread, as documented
        Concurrency.detach { _ = try? rehearse() }
    }

    /// The digest first: a warm build needs nothing else, and it should not wait behind the rest.
    static func rehearse() throws {
        _ = Digest.sha256(Array("extc".utf8))
        let key = try Issuer.searchKey(.ecdsaP256, stillWanted: { true })!
        let cert = try Issuer.makeCA(commonName: "extc-warm-up", key: key, lifetime: 60, env: .system)
        _ = try key.pem()
        _ = try cert.pem()
    }
}

/// The OpenSSL extc runs with, for `extc --version`: "OpenSSL 3.0.17 1 Jul 2025".
public enum OpenSSLInfo {
    public static var version: String { String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))) }
}

/// SHA-256 through OpenSSL, as lowercase hex; "" if OpenSSL fails (which `StateCache` treats as a
/// miss).
enum Digest {
    static func sha256(_ bytes: [UInt8]) -> String {
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        _ = OpenSSLLibrary.ready
        guard EVP_Digest(bytes, bytes.count, &md, &len, EVP_sha256(), nil) == 1 else { return "" }
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(Int(len) * 2)
        for b in md.prefix(Int(len)) { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An OpenSSL failure, with the reason strings OpenSSL queued.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let description: String

    /// Drains OpenSSL's error queue into one message.
    static func drain(_ what: String) -> OpenSSLError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            reasons.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(description: reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))")
    }

    static func check(_ ok: Bool, _ what: String) throws {
        if !ok { throw drain(what) }
    }
}

/// A memory BIO, freed on deinit.
final class MemoryBIO {
    let bio: OpaquePointer

    init() throws {
        guard let b = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("BIO_new") }
        bio = b
    }

    /// A BIO holding a copy of `text`.
    convenience init(_ text: String) throws {
        try self.init()
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        try OpenSSLError.check(n == Int32(bytes.count) || bytes.isEmpty, "BIO_write")
    }

    deinit { BIO_free(bio) }

    var text: String {
        var data: UnsafePointer<CChar>? = nil
        let n = extc_bio_mem_data(bio, &data)
        guard let data, n > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
    }
}

/// An EVP_PKEY, freed on deinit.
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer

    init(owning pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    /// Unencrypted PKCS#8 PEM. Handle with care: this is the secret.
    public func pem() throws -> String {
        let bio = try MemoryBIO()
        try OpenSSLError.check(PEM_write_bio_PrivateKey(bio.bio, pkey, nil, nil, 0, nil, nil) == 1, "writing a private key")
        return bio.text
    }

    /// PEM in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) form. Encrypted keys are refused, never prompted for.
    public static func parse(pem: String) throws -> PrivateKey {
        _ = OpenSSLLibrary.ready
        if pem.contains("ENCRYPTED") { throw KeyError.encrypted }
        let bio = try MemoryBIO(pem)
        let refusePassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in -1 }
        guard let k = PEM_read_bio_PrivateKey(bio.bio, nil, refusePassphrase, nil) else {
            throw OpenSSLError.drain("no PEM private key")
        }
        return PrivateKey(owning: k)
    }

    public enum KeyError: Error { case encrypted }

    /// The algorithm, or nil for one extc does not make.
    public var algorithm: KeyAlgorithmInfo {
        KeyAlgorithmInfo(isRSA: EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA, bits: Int(EVP_PKEY_get_bits(pkey)))
    }
}

/// A key's family and size, comparable with the spec's KeyAlgorithm.
public struct KeyAlgorithmInfo: Sendable, Equatable, CustomStringConvertible {
    public let isRSA: Bool
    public let bits: Int

    public var description: String { isRSA ? "rsa-\(bits)" : "ecdsa-p\(bits)" }
}

/// An X509, freed on deinit.
public final class Certificate: @unchecked Sendable {
    let x509: OpaquePointer
    /// The key a certificate made in this process carries: its X509 holds the key's bits but no
    /// decoded key (see `SubjectPublicKey`). nil for a parsed certificate.
    let publicKey: PrivateKey?

    init(owning x: OpaquePointer, publicKey: PrivateKey? = nil) {
        self.x509 = x
        self.publicKey = publicKey
    }

    /// The certificate's public key: the one it was made with, or the one OpenSSL decoded when
    /// it parsed the certificate. Owned by this certificate.
    var pkey: OpaquePointer? { publicKey?.pkey ?? X509_get0_pubkey(x509) }

    deinit { X509_free(x509) }

    public func pem() throws -> String {
        let bio = try MemoryBIO()
        try OpenSSLError.check(PEM_write_bio_X509(bio.bio, x509) == 1, "writing a certificate")
        return bio.text
    }

    public static func parse(pem: String) throws -> Certificate {
        _ = OpenSSLLibrary.ready
        let bio = try MemoryBIO(pem)
        guard let x = PEM_read_bio_X509(bio.bio, nil, nil, nil) else { throw OpenSSLError.drain("no PEM certificate") }
        return Certificate(owning: x)
    }
}
