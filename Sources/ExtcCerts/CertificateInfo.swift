import COpenSSL
import COpenSSLShim
#if canImport(Glibc)
import Glibc
#endif

/// What extc needs to know of a certificate, read back from it.
public struct CertificateInfo: Sendable {
    public let commonName: String
    public let dnsNames: [String]
    public let notBefore: Int
    public let notAfter: Int
    public let isCA: Bool
    public let key: KeyAlgorithmInfo
    public let sha256: String
    public let serialBits: Int

    public init(_ cert: Certificate) throws {
        let x = cert.x509
        commonName = Self.commonName(x)
        dnsNames = Self.dnsNames(x)
        notBefore = try Self.epoch(X509_get0_notBefore(x))
        notAfter = try Self.epoch(X509_get0_notAfter(x))
        isCA = X509_check_ca(x) >= 1
        guard let pub = X509_get0_pubkey(x) else { throw OpenSSLError.drain("certificate has no public key") }
        key = KeyAlgorithmInfo(isRSA: EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA, bits: Int(EVP_PKEY_get_bits(pub)))
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        try OpenSSLError.check(X509_digest(x, EVP_sha256(), &md, &len) == 1, "X509_digest")
        sha256 = md.prefix(Int(len)).map { String(format2: $0) }.joined(separator: ":")
        let serial = X509_get0_serialNumber(x)
        let bn = ASN1_INTEGER_to_BN(serial, nil)
        defer { BN_free(bn) }
        serialBits = Int(BN_num_bits(bn))
    }

    private static func commonName(_ x: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        let n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, &buf, Int32(buf.count))
        return n > 0 ? String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    private static func dnsNames(_ x: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(x, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        return (0..<extc_general_names_count(names)).compactMap { i in
            var len: Int32 = 0
            guard let p = extc_general_name_dns(names, i, &len) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(len)), as: UTF8.self)
        }
    }

    private static func epoch(_ t: UnsafePointer<ASN1_TIME>?) throws -> Int {
        var tm = tm()
        try OpenSSLError.check(ASN1_TIME_to_tm(t, &tm) == 1, "reading a certificate time")
        return Int(timegm(&tm))
    }

    /// The certificate's signature verifies with the CA's public key, and it names the CA as issuer.
    public static func isSigned(_ leaf: Certificate, by ca: Certificate) -> Bool {
        guard let pub = X509_get0_pubkey(ca.x509) else { return false }
        let verified = X509_verify(leaf.x509, pub) == 1
        ERR_clear_error()
        return verified && X509_NAME_cmp(X509_get_issuer_name(leaf.x509), X509_get_subject_name(ca.x509)) == 0
    }

    /// The key is the certificate's.
    public static func matches(_ cert: Certificate, _ key: PrivateKey) -> Bool {
        let ok = X509_check_private_key(cert.x509, key.pkey) == 1
        ERR_clear_error()
        return ok
    }
}

extension String {
    /// Two uppercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
