import COpenSSL
import COpenSSLShim
import ExtcCheck
#if canImport(Glibc)
import Glibc
#endif

/// Where time and randomness come from. Tests inject both, so expiry and renewal are tested
/// without waiting and serials are reproducible.
public struct CertEnvironment: Sendable {
    /// Seconds since the Unix epoch.
    public let now: @Sendable () -> Int
    /// `n` random bytes for serial numbers.
    public let random: @Sendable (Int) -> [UInt8]

    public init(now: @escaping @Sendable () -> Int, random: @escaping @Sendable (Int) -> [UInt8]) {
        self.now = now
        self.random = random
    }

    public static let system = CertEnvironment(now: { Int(time(nil)) }, random: { n in
        var bytes = [UInt8](repeating: 0, count: n)
        precondition(RAND_bytes(&bytes, Int32(n)) == 1, "the system random generator failed")
        return bytes
    })
}

/// Makes keys and certificates in-process through OpenSSL.
public enum Issuer {
    /// How far notBefore is backdated, for clocks that run a little behind.
    public static let backdate = 5 * 60

    /// A new key. RSA keys come from the pool every core searches for (`RSAPool`), except with
    /// `EXTC_JOBS=1`, where each is made where it is asked for.
    public static func generateKey(_ algorithm: KeyAlgorithm) throws -> PrivateKey {
        if algorithm.isRSA && !CertBackend.sequential { return try RSAPool.shared.take(algorithm) }
        guard let key = try searchKey(algorithm, stillWanted: { true }) else { throw OpenSSLError.drain("key generation stopped") }
        return key
    }

    /// Makes a key; nil when `stillWanted` said no at one of OpenSSL's progress callbacks (made
    /// at every prime candidate), which stops the search.
    static func searchKey(_ algorithm: KeyAlgorithm, stillWanted: @escaping () -> Bool) throws -> PrivateKey? {
        _ = OpenSSLLibrary.ready
        let isRSA = algorithm.isRSA
        guard let ctx = EVP_PKEY_CTX_new_id(isRSA ? EVP_PKEY_RSA : EVP_PKEY_EC, nil) else {
            throw OpenSSLError.drain("EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        try OpenSSLError.check(EVP_PKEY_keygen_init(ctx) == 1, "EVP_PKEY_keygen_init")
        switch algorithm {
        case .ecdsaP256: try OpenSSLError.check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1, "P-256")
        case .ecdsaP384: try OpenSSLError.check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_secp384r1) == 1, "P-384")
        case .rsa2048: try OpenSSLError.check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1, "RSA bits")
        case .rsa3072: try OpenSSLError.check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) == 1, "RSA bits")
        case .rsa4096: try OpenSSLError.check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 4096) == 1, "RSA bits")
        }
        let progress = KeygenProgress(stillWanted)
        withExtendedLifetime(progress) {
            EVP_PKEY_CTX_set_app_data(ctx, Unmanaged.passUnretained(progress).toOpaque())
            EVP_PKEY_CTX_set_cb(ctx) { ctx in
                guard let raw = EVP_PKEY_CTX_get_app_data(ctx) else { return 1 }
                return Unmanaged<KeygenProgress>.fromOpaque(raw).takeUnretainedValue().proceed() ? 1 : 0
            }
        }
        var key: OpaquePointer? = nil
        let made = withExtendedLifetime(progress) { EVP_PKEY_keygen(ctx, &key) == 1 && key != nil }
        if progress.stopped {
            if let key { EVP_PKEY_free(key) }
            ERR_clear_error()
            return nil
        }
        try OpenSSLError.check(made, "generating a \(algorithm.rawValue) key")
        return PrivateKey(owning: key!)
    }

    /// A self-signed CA: CA:TRUE (critical, pathlen 0), keyCertSign and cRLSign, key identifiers.
    public static func makeCA(commonName: String, key: PrivateKey, lifetime: Int, env: CertEnvironment) throws -> Certificate {
        let now = env.now()
        let cert = try skeleton(commonName: commonName, key: key, notBefore: now - backdate, notAfter: now + lifetime, env: env)
        try OpenSSLError.check(X509_set_issuer_name(cert.x509, X509_get_subject_name(cert.x509)) == 1, "issuer name")
        try addExtensions(cert, issuer: cert, [
            (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
            (NID_key_usage, "critical,keyCertSign,cRLSign"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ])
        try sign(cert, with: key)
        return cert
    }

    /// A leaf certificate for `request`, signed by `ca`. Its notAfter never passes the CA's.
    public static func makeLeaf(_ request: LeafRequest, key: PrivateKey, lifetime: Int,
                                ca: Certificate, caKey: PrivateKey, env: CertEnvironment) throws -> Certificate {
        let now = env.now()
        guard let caNotAfter = CertificateInfo.notAfter(ca) else { throw OpenSSLError.drain("reading the CA's notAfter") }
        let cert = try skeleton(commonName: request.commonName, key: key, notBefore: now - backdate,
                                notAfter: min(now + lifetime, caNotAfter), env: env)
        try OpenSSLError.check(X509_set_issuer_name(cert.x509, X509_get_subject_name(ca.x509)) == 1, "issuer name")
        let usage = key.algorithm.isRSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"
        let names = request.dnsNames.map { "DNS:\($0)" } + request.ipAddresses.map { "IP:\($0)" }
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, usage),
            (NID_ext_key_usage, request.usage.extensionValue),
        ]
        if !names.isEmpty { extensions.append((NID_subject_alt_name, names.joined(separator: ","))) }
        extensions += [(NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid:always")]
        try addExtensions(cert, issuer: ca, extensions)
        try sign(cert, with: caKey)
        return cert
    }

    /// Version 3, a random positive serial of 127 bits, subject CN, validity, public key.
    private static func skeleton(commonName: String, key: PrivateKey, notBefore: Int, notAfter: Int,
                                 env: CertEnvironment) throws -> Certificate {
        guard let x = X509_new() else { throw OpenSSLError.drain("X509_new") }
        let cert = Certificate(owning: x, publicKey: key)
        try OpenSSLError.check(X509_set_version(x, 2) == 1, "X509_set_version")
        var serial = env.random(16)
        serial[0] = (serial[0] & 0x7F) | 0x40  // positive, and at least 64 significant bits
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw OpenSSLError.drain("BN_bin2bn") }
        defer { BN_free(bn) }
        guard let asn1 = BN_to_ASN1_INTEGER(bn, nil) else { throw OpenSSLError.drain("BN_to_ASN1_INTEGER") }
        defer { ASN1_INTEGER_free(asn1) }
        try OpenSSLError.check(X509_set_serialNumber(x, asn1) == 1, "serial number")
        try OpenSSLError.check(ASN1_TIME_set(X509_getm_notBefore(x), time_t(notBefore)) != nil, "notBefore")
        try OpenSSLError.check(ASN1_TIME_set(X509_getm_notAfter(x), time_t(notAfter)) != nil, "notAfter")
        try SubjectPublicKey.set(key, on: x)
        let name = X509_get_subject_name(x)
        let added = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0)
        try OpenSSLError.check(added == 1, "subject name")
        return cert
    }

    private static func addExtensions(_ cert: Certificate, issuer: Certificate, _ exts: [(Int32, String)]) throws {
        var ctx = X509V3_CTX()
        extc_x509v3_set_ctx_nodb(&ctx)
        X509V3_set_ctx(&ctx, issuer.x509, cert.x509, nil, nil, 0)
        for (nid, value) in exts {
            guard let ext = X509V3_EXT_nconf_nid(nil, &ctx, nid, value) else {
                throw OpenSSLError.drain("extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            try OpenSSLError.check(X509_add_ext(cert.x509, ext, -1) == 1, "X509_add_ext")
        }
    }

    /// SHA-384 for P-384 keys, SHA-256 otherwise.
    private static func sign(_ cert: Certificate, with key: PrivateKey) throws {
        let info = key.algorithm
        let md = !info.isRSA && info.bits == 384 ? EVP_sha384() : EVP_sha256()
        try OpenSSLError.check(X509_sign(cert.x509, key.pkey, md) > 0, "signing a certificate")
    }
}

/// The context OpenSSL's key generation callback reaches through the context's app data.
private final class KeygenProgress {
    let stillWanted: () -> Bool
    /// The callback said stop; the key generation then fails, on purpose.
    private(set) var stopped = false

    init(_ stillWanted: @escaping () -> Bool) { self.stillWanted = stillWanted }

    func proceed() -> Bool {
        if !stopped, !stillWanted() { stopped = true }
        return !stopped
    }
}
