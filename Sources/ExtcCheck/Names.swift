// Kubernetes' name and value rules (k8s.io/apimachinery/pkg/util/validation), as predicates.

public enum Names {
    static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A)
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func isDNS1123Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 63, isLowerAlnum(b.first!), isLowerAlnum(b.last!) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func isDNS1035Label(_ s: String) -> Bool {
        guard let f = s.utf8.first, f >= 0x61, f <= 0x7A else { return false }
        return isDNS1123Label(s)
    }

    /// Dot-separated DNS-1123 labels, at most 253 characters.
    public static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            isDNS1123Label(String($0))
        }
    }

    /// `v1`, `v2beta3`, `v1alpha1`: Kubernetes' version form (no leading zeros).
    public static func isKubeVersion(_ s: String) -> Bool {
        var rest = Substring(s)
        guard rest.first == "v" else { return false }
        rest = rest.dropFirst()
        func number() -> Bool {
            guard let f = rest.first, f.isASCII, f.isNumber, f != "0" else { return false }
            rest = rest.drop { $0.isASCII && $0.isNumber }
            return true
        }
        guard number() else { return false }
        if rest.isEmpty { return true }
        for stage in ["alpha", "beta"] where rest.hasPrefix(stage) {
            rest = rest.dropFirst(stage.count)
            return number() && rest.isEmpty
        }
        return false
    }

    /// A label or annotation key: `[prefix/]name`.
    public static func isQualifiedName(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isLabelValue(String(parts[0])) && !parts[0].isEmpty
        case 2: return isDNS1123Subdomain(String(parts[0])) && !parts[1].isEmpty && isLabelValue(String(parts[1]))
        default: return false
        }
    }

    /// Empty, or at most 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumerically.
    public static func isLabelValue(_ s: String) -> Bool {
        let b = Array(s.utf8)
        if b.isEmpty { return true }
        guard b.count <= 63, isAlnum(b.first!), isAlnum(b.last!) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// A ConfigMap or Secret data key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
    public static func isConfigMapKey(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 253, s != ".", s != ".." else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// An RBAC role name (path-segment rules): not empty, `.` or `..`, no `/` or `%`.
    public static func isRoleName(_ s: String) -> Bool {
        !s.isEmpty && s != "." && s != ".." && !s.contains("/") && !s.contains("%") && s.utf8.count <= 253
            && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// `: 70 characters; at most 63` when `s` is longer than `limit`, else nothing: a message that
    /// rejects a name for its length says so, with both numbers.
    public static func tooLong(_ s: String, _ limit: Int) -> String {
        s.utf8.count > limit ? ": \(s.utf8.count) characters; at most \(limit)" : ""
    }

    /// A C identifier.
    public static func isEnvName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, !(f >= 0x30 && f <= 0x39) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") }
    }

    /// A Kubernetes quantity: `123`, `0.5`, `100m`, `128Mi`, `1e3`.
    public static func isQuantity(_ s: String) -> Bool {
        var digits = Substring(s)
        if digits.first == "+" { digits = digits.dropFirst() }
        let number = digits.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != "." else { return false }
        let suffix = String(digits.dropFirst(number.count))
        let suffixes = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        if suffixes.contains(suffix) { return true }
        guard suffix.first == "e" || suffix.first == "E" else { return false }
        var exp = suffix.dropFirst()
        if exp.first == "-" || exp.first == "+" { exp = exp.dropFirst() }
        return !exp.isEmpty && exp.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `365d` and friends, in seconds; nil when malformed or zero.
    public static func duration(_ s: String) -> Int? {
        guard let unit = s.last, let n = Int(s.dropLast()), n > 0, s.first?.isNumber == true else { return nil }
        let hour = 3600, day = 24 * hour
        let scale: Int
        switch unit {
        case "h": scale = hour
        case "d": scale = day
        case "w": scale = 7 * day
        case "y": scale = 365 * day
        default: return nil
        }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow || v > 100 * 365 * day ? nil : v
    }

    /// A duration in the largest unit that divides it, for messages: `365d`, `12h`.
    public static func formatDuration(_ seconds: Int) -> String {
        let day = 86_400
        if seconds % day == 0 { return "\(seconds / day)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        return "\(seconds)s"
    }
}
