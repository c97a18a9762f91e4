extension ImageReference {
    /// Parses the reference grammar `docker pull` accepts (distribution/reference); nil with a reason
    /// when it does not fit.
    public static func parse(_ raw: String) -> Result<ImageReference, ImageError> {
        guard !raw.isEmpty, raw.utf8.count <= 512 else { return .failure(.init("the reference is empty or too long")) }
        var rest = Substring(raw)
        var digest: String? = nil
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard isDigest(d) else { return .failure(.init("`\(d)` is not a digest (`sha256:` and 64 hex digits)")) }
            digest = d
            rest = rest[..<at]
        }
        var tag: String? = nil
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard isTag(t) else { return .failure(.init("`\(t)` is not a tag (letters, digits, `_ . -`, up to 128)")) }
            tag = t
            rest = rest[..<colon]
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost" {
            guard isDomain(parts[0]) else { return .failure(.init("`\(parts[0])` is not a registry host[:port]")) }
            parts.removeFirst()
        }
        guard !parts.isEmpty else { return .failure(.init("the reference has no repository path")) }
        for p in parts where !isPathComponent(p) {
            return .failure(.init("`\(p)` is not a repository path component (lowercase letters, digits, separators `.` `_` `__` `-`)"))
        }
        return .success(ImageReference(raw: raw, repository: String(rest), tag: tag, digest: digest))
    }

    public struct ImageError: Error, Sendable {
        public let reason: String
        init(_ r: String) { reason = r }
    }

    static func isDigest(_ d: String) -> Bool {
        let p = d.split(separator: ":", maxSplits: 1)
        guard p.count == 2, !p[0].isEmpty, p[0].allSatisfy({ $0.isLowercase || $0.isNumber || "+.-_".contains($0) }) else { return false }
        let hex = p[1]
        let isHex = hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        return p[0] == "sha256" ? hex.count == 64 && isHex : hex.count >= 32 && isHex
    }

    static func isTag(_ t: String) -> Bool {
        guard let f = t.first, t.count <= 128, f.isASCII, f.isLetter || f.isNumber || f == "_" else { return false }
        return t.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    static func isDomain(_ d: String) -> Bool {
        let hp = d.split(separator: ":", omittingEmptySubsequences: false)
        guard hp.count <= 2 else { return false }
        if hp.count == 2, hp[1].isEmpty || !hp[1].allSatisfy({ $0.isASCII && $0.isNumber }) { return false }
        return hp[0].split(separator: ".", omittingEmptySubsequences: false).allSatisfy { c in
            guard let f = c.first, let l = c.last, f.isASCII, f.isLetter || f.isNumber, l.isLetter || l.isNumber else { return false }
            return c.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isPathComponent(_ p: String) -> Bool {
        // alnum+ ( ( "." | "_" | "__" | "-"+ ) alnum+ )*
        let b = Array(p.utf8)
        guard let f = b.first, let l = b.last, Names.isLowerAlnum(f), Names.isLowerAlnum(l) else { return false }
        var i = 0
        while i < b.count {
            if Names.isLowerAlnum(b[i]) { i += 1; continue }
            var j = i
            while j < b.count, !Names.isLowerAlnum(b[j]) { j += 1 }
            let sep = String(decoding: b[i..<j], as: UTF8.self)
            guard sep == "." || sep == "_" || sep == "__" || sep.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }
}
