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

    // The predicates below work on UTF-8 bytes: every valid reference is ASCII, so a byte test is
    // exact, and it avoids Character's Unicode property lookups.

    static func isDigest(_ d: String) -> Bool {
        let b = Array(d.utf8)
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        let algorithm = b[..<colon], hex = b[(colon + 1)...]
        guard algorithm.allSatisfy({ Names.isLowerAlnum($0) || "+.-_".utf8.contains($0) }) else { return false }
        let isHex = hex.allSatisfy { Names.isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        return algorithm.elementsEqual("sha256".utf8) ? hex.count == 64 && isHex : hex.count >= 32 && isHex
    }

    static func isTag(_ t: String) -> Bool {
        let b = Array(t.utf8)
        guard let f = b.first, b.count <= 128, Names.isAlnum(f) || f == UInt8(ascii: "_") else { return false }
        return b.allSatisfy { Names.isAlnum($0) || "_.-".utf8.contains($0) }
    }

    static func isDomain(_ d: String) -> Bool {
        let hp = Array(d.utf8).split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard hp.count <= 2 else { return false }
        if hp.count == 2, hp[1].isEmpty || !hp[1].allSatisfy(Names.isDigit) { return false }
        return hp[0].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { c in
            guard let f = c.first, let l = c.last, Names.isAlnum(f), Names.isAlnum(l) else { return false }
            return c.allSatisfy { Names.isAlnum($0) || $0 == UInt8(ascii: "-") }
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
