import COpenSSL
import COpenSSLShim
#if canImport(Glibc)
import Glibc
#endif

/// What extc needs to know of a certificate, read back from it.
public struct CertificateInfo: Sendable {
    public let commonName: String
    public let dnsNames: [String]
    /// IP address SANs, as text (IPv4 dotted, IPv6 as eight hex groups).
    public let ipAddresses: [String]
    /// The extended key usages extc issues: serverAuth, clientAuth, or both.
    public let usage: CertificateUsage
    public let notBefore: Int
    public let notAfter: Int
    public let isCA: Bool
    public let key: KeyAlgorithmInfo
    public let sha256: String
    public let serialBits: Int

    init(commonName: String, dnsNames: [String], ipAddresses: [String], usage: CertificateUsage, notBefore: Int, notAfter: Int,
         isCA: Bool, key: KeyAlgorithmInfo, sha256: String, serialBits: Int) {
        (self.commonName, self.dnsNames, self.ipAddresses, self.usage) = (commonName, dnsNames, ipAddresses, usage)
        (self.notBefore, self.notAfter, self.isCA, self.key, self.sha256, self.serialBits) = (notBefore, notAfter, isCA, key, sha256, serialBits)
    }

    public init(_ cert: Certificate) throws {
        let x = cert.x509
        commonName = Self.commonName(x)
        (dnsNames, ipAddresses) = Self.alternativeNames(x)
        let xku = X509_get_extended_key_usage(x)
        usage = CertificateUsage(server: xku & UInt32(XKU_SSL_SERVER) != 0, client: xku & UInt32(XKU_SSL_CLIENT) != 0)
        notBefore = try Self.epoch(X509_get0_notBefore(x))
        notAfter = try Self.epoch(X509_get0_notAfter(x))
        isCA = X509_check_ca(x) >= 1
        guard let pub = cert.pkey else { throw OpenSSLError.drain("certificate has no public key") }
        key = KeyAlgorithmInfo(isRSA: EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA, bits: Int(EVP_PKEY_get_bits(pub)))
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        try OpenSSLError.check(X509_digest(x, EVP_sha256(), &md, &len) == 1, "X509_digest")
        sha256 = md.prefix(Int(len)).map { String(format2: $0) }.joined(separator: ":")
        let serial = X509_get0_serialNumber(x)
        guard let bn = ASN1_INTEGER_to_BN(serial, nil) else { throw OpenSSLError.drain("ASN1_INTEGER_to_BN") }
        defer { BN_free(bn) }
        serialBits = Int(BN_num_bits(bn))
    }

    private static func commonName(_ x: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        let n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, &buf, Int32(buf.count))
        return n > 0 ? String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    private static func alternativeNames(_ x: OpaquePointer) -> (dns: [String], ip: [String]) {
        guard let raw = X509_get_ext_d2i(x, NID_subject_alt_name, nil, nil) else { return ([], []) }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var dns: [String] = [], ip: [String] = []
        for i in 0..<extc_general_names_count(names) {
            var len: Int32 = 0
            if let p = extc_general_name_dns(names, i, &len) {
                dns.append(String(decoding: UnsafeBufferPointer(start: p, count: Int(len)), as: UTF8.self))
            } else if let p = extc_general_name_ip(names, i, &len) {
                ip.append(IPAddress.text(Array(UnsafeBufferPointer(start: p, count: Int(len)))))
            }
        }
        return (dns, ip)
    }

    /// A certificate's notBefore alone: no public key is decoded (which, in OpenSSL 3, costs more
    /// than parsing the certificate).
    public static func notBefore(_ cert: Certificate) -> Int? { try? epoch(X509_get0_notBefore(cert.x509)) }
    public static func notAfter(_ cert: Certificate) -> Int? { try? epoch(X509_get0_notAfter(cert.x509)) }

    private static func epoch(_ t: UnsafePointer<ASN1_TIME>?) throws -> Int {
        var tm = tm()
        try OpenSSLError.check(ASN1_TIME_to_tm(t, &tm) == 1, "reading a certificate time")
        return Int(timegm(&tm))
    }

    /// The certificate's signature verifies with the CA's public key, and it names the CA as issuer.
    public static func isSigned(_ leaf: Certificate, by ca: Certificate) -> Bool {
        guard let pub = ca.pkey else { return false }
        let verified = X509_verify(leaf.x509, pub) == 1
        ERR_clear_error()
        return verified && X509_NAME_cmp(X509_get_issuer_name(leaf.x509), X509_get_subject_name(ca.x509)) == 0
    }

    /// The key is the certificate's.
    public static func matches(_ cert: Certificate, _ key: PrivateKey) -> Bool {
        // X509_check_private_key decodes the certificate's key, which one extc made has not.
        let ok = cert.pkey.map { EVP_PKEY_eq($0, key.pkey) == 1 } ?? false
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

/// What a certificate may be used for (its extendedKeyUsage).
public struct CertificateUsage: Sendable, Equatable, CustomStringConvertible {
    public let server: Bool
    public let client: Bool

    public init(server: Bool, client: Bool) {
        self.server = server
        self.client = client
    }

    public static let serverOnly = CertificateUsage(server: true, client: false)
    public static let clientOnly = CertificateUsage(server: false, client: true)
    public static let serverAndClient = CertificateUsage(server: true, client: true)

    /// The OpenSSL extension value: `serverAuth`, `clientAuth` or `serverAuth,clientAuth`.
    var extensionValue: String { [server ? "serverAuth" : nil, client ? "clientAuth" : nil].compactMap { $0 }.joined(separator: ",") }

    public var description: String { extensionValue.isEmpty ? "none" : extensionValue }
}

/// IP addresses as certificates hold them (4 or 16 bytes) and as text.
enum IPAddress {
    static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map { String(Int($0)) }.joined(separator: ".") }
        return stride(from: 0, to: bytes.count - 1, by: 2).map { i in
            String(Int(bytes[i]) << 8 | Int(bytes[i + 1]), radix: 16)
        }.joined(separator: ":")
    }
}
