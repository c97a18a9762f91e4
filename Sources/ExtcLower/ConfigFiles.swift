import ExtcCheck

/// The files of every `volume NAME { files ... }`, read by the driver (lowering reads nothing):
/// for each server and volume, each file's ConfigMap key (its name without directories) and text,
/// in the order the spec lists them.
public struct ConfigFiles: Sendable {
    public private(set) var contents: [String: [(key: String, text: String)]] = [:]

    public init() {}

    public static func key(server: String, volume: String) -> String { "\(server)/\(volume)" }

    public mutating func set(server: String, volume: String, files: [(key: String, text: String)]) {
        contents[Self.key(server: server, volume: volume)] = files
    }

    public func files(server: String, volume: String) -> [(key: String, text: String)] {
        contents[Self.key(server: server, volume: volume)] ?? []
    }

    /// A name suffix that changes with the content, so a changed file rolls the pods, as
    /// kustomize's configMapGenerator does: 10 hex digits of FNV-1a (64-bit) over each key and text
    /// with their lengths, in order. Not a security property, only change detection.
    public static func hash(_ files: [(key: String, text: String)]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
        for f in files {
            mix(String(f.key.utf8.count).utf8); mix([0]); mix(f.key.utf8)
            mix(String(f.text.utf8.count).utf8); mix([0]); mix(f.text.utf8)
        }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(10))
    }
}
