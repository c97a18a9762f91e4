/// RFC 4648 base64 (standard alphabet, `=` padding, no line breaks): what Kubernetes expects in a
/// Secret's `data` and an APIService's `caBundle`. Here rather than Foundation's, so the compiler
/// does not load Foundation (and ICU) at start-up only for this.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out += [sextet(n, 18), sextet(n, 12), UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [sextet(n, 18), sextet(n, 12), sextet(n, 6), UInt8(ascii: "=")]
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ text: String) -> String { encode(text.utf8) }

    private static func sextet(_ n: UInt32, _ shift: UInt32) -> UInt8 { alphabet[Int((n >> shift) & 63)] }
}
