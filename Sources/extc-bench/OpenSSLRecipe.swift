import ExtcSyntax
/// The same material extc makes, made the documented way with the openssl CLI (as in the
/// Kubernetes docs' "Certificates" task): a CA key and self-signed CA certificate, a serving key, a
/// CSR, and the leaf signed by the CA with the serving extensions and SANs. Five processes.
struct OpenSSLRecipe {
    let key: String
    let service = "api", namespace = "wardle"

    /// The extension file a user writes once by hand; not part of the timed work.
    var leafExtensions: String {
        let usage = key.hasPrefix("rsa") ? "digitalSignature, keyEncipherment" : "digitalSignature"
        let s = "\(service).\(namespace)"
        return """
        basicConstraints = CA:FALSE
        keyUsage = critical, \(usage)
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:\(service), DNS:\(s), DNS:\(s).svc, DNS:\(s).svc.cluster.local
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """
    }

    var keyOptions: [String] {
        switch key {
        case "ecdsa-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        case "ecdsa-p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]
        default: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(key.dropFirst(4))"]
        }
    }

    /// The five commands, on files in `dir` (which holds `leaf.cnf`).
    func commands(in dir: String) -> [[String]] {
        let ca = "\(dir)/ca", tls = "\(dir)/tls"
        return [
            ["openssl", "genpkey"] + keyOptions + ["-out", "\(ca).key"],
            ["openssl", "req", "-x509", "-new", "-key", "\(ca).key", "-subj", "/CN=\(namespace)-ca", "-days", "3650", "-sha256",
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", "\(ca).crt"],
            ["openssl", "genpkey"] + keyOptions + ["-out", "\(tls).key"],
            ["openssl", "req", "-new", "-key", "\(tls).key", "-subj", "/CN=\(service).\(namespace).svc", "-out", "\(tls).csr"],
            ["openssl", "x509", "-req", "-in", "\(tls).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key", "-CAcreateserial",
             "-days", "365", "-sha256", "-extfile", "\(dir)/leaf.cnf", "-out", "\(tls).crt"],
        ]
    }

    func prepare(in dir: String) throws {
        try FileIO.makeDirectory(dir)
        try FileIO.write(leafExtensions, to: "\(dir)/leaf.cnf")
    }

    func make(in dir: String) throws {
        for command in commands(in: dir) { try runCommand(command) }
    }

    /// The baseline must make working material, or the comparison is with nothing.
    func verify(in dir: String) throws {
        try runCommand(["openssl", "verify", "-CAfile", "\(dir)/ca.crt", "-purpose", "sslserver",
                        "-verify_hostname", "\(service).\(namespace).svc", "\(dir)/tls.crt"])
    }
}
