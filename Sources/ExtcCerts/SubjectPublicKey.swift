import COpenSSL
import COpenSSLShim

/// Puts a key's SubjectPublicKeyInfo into a certificate without OpenSSL 3.0's encoder round
/// trip. `X509_set_pubkey` encodes the key through the provider encoders and decodes the result
/// again (about 0.3 ms a certificate, the largest cost of issuing one); the two fields of the
/// structure are simple enough to set directly:
///
/// - EC: algorithm id-ecPublicKey with the named curve's OID; the key is the encoded point.
/// - RSA: algorithm rsaEncryption with NULL parameters; the key is DER `RSAPublicKey {n, e}`.
///
/// Invariant: the certificate's X509_PUBKEY then holds no decoded key, so code that needs the
/// public key of a certificate extc made reads `Certificate.publicKey` (see `Certificate.pkey`).
/// Tests check the DER against OpenSSL's own encoding for every key algorithm.
enum SubjectPublicKey {
    /// OpenSSL's parameter names (core_names.h, which the module map does not bring in).
    private enum Param {
        static let encodedPublicKey = "encoded-pub-key"  // OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY
        static let rsaN = "n"  // OSSL_PKEY_PARAM_RSA_N
        static let rsaE = "e"  // OSSL_PKEY_PARAM_RSA_E
    }

    static func set(_ key: PrivateKey, on x509: OpaquePointer) throws {
        guard let pub = X509_get_X509_PUBKEY(x509) else { throw OpenSSLError.drain("certificate has no public key field") }
        let info = key.algorithm
        let bits = info.isRSA ? try rsaPublicKey(key) : try encodedPoint(key)
        guard let buffer = CRYPTO_malloc(bits.count, #file, #line)?.assumingMemoryBound(to: UInt8.self) else {
            throw OpenSSLError.drain("CRYPTO_malloc")
        }
        buffer.initialize(from: bits, count: bits.count)
        let ok: Int32
        if info.isRSA {
            ok = X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, nil, buffer, Int32(bits.count))
        } else {
            let curve = OBJ_nid2obj(info.bits == 384 ? NID_secp384r1 : NID_X9_62_prime256v1)
            ok = X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                                        UnsafeMutableRawPointer(curve), buffer, Int32(bits.count))
        }
        guard ok == 1 else {
            extc_openssl_free(buffer)
            throw OpenSSLError.drain("setting the certificate's public key")
        }
    }

    /// The uncompressed point of an EC key (0x04 || X || Y).
    private static func encodedPoint(_ key: PrivateKey) throws -> [UInt8] {
        var length = 0
        try OpenSSLError.check(EVP_PKEY_get_octet_string_param(key.pkey, Param.encodedPublicKey, nil, 0, &length) == 1,
                               "reading an EC public key's size")
        var point = [UInt8](repeating: 0, count: length)
        try OpenSSLError.check(EVP_PKEY_get_octet_string_param(key.pkey, Param.encodedPublicKey, &point, length, &length) == 1,
                               "reading an EC public key")
        return Array(point.prefix(length))
    }

    /// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017).
    private static func rsaPublicKey(_ key: PrivateKey) throws -> [UInt8] {
        let n = try DER.integer(bignum(key, Param.rsaN))
        let e = try DER.integer(bignum(key, Param.rsaE))
        return DER.sequence(n + e)
    }

    /// A key parameter's unsigned big-endian bytes.
    private static func bignum(_ key: PrivateKey, _ name: String) throws -> [UInt8] {
        var bn: OpaquePointer? = nil
        try OpenSSLError.check(EVP_PKEY_get_bn_param(key.pkey, name, &bn) == 1 && bn != nil, "reading RSA parameter \(name)")
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        _ = BN_bn2bin(bn, &bytes)
        return bytes
    }
}

/// The few DER encodings `SubjectPublicKey` needs.
enum DER {
    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var body = Array(magnitude.drop { $0 == 0 })
        if body.isEmpty || body[0] & 0x80 != 0 { body.insert(0, at: 0) }
        return [0x02] + length(body.count) + body
    }

    static func sequence(_ body: [UInt8]) -> [UInt8] { [0x30] + length(body.count) + body }

    /// Definite length: short form below 128, else long form.
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}

extension Certificate {
    /// The DER SubjectPublicKeyInfo the certificate carries, as OpenSSL encodes the field.
    public var publicKeyInfoDER: [UInt8] { DER.encoded { i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), $0) } }
}

extension PrivateKey {
    /// The DER SubjectPublicKeyInfo of the key's public half, from OpenSSL's own encoder.
    public var publicKeyInfoDER: [UInt8] { DER.encoded { i2d_PUBKEY(pkey, $0) } }
}

extension DER {
    /// The bytes an OpenSSL `i2d_*` function writes; empty when it fails.
    static func encoded(_ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let n = i2d(&out)
        guard n > 0, let out else { ERR_clear_error(); return [] }
        defer { extc_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(n)))
    }
}
