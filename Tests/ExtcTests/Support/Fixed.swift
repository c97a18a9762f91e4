import ExtcCerts
import ExtcCheck
import ExtcDriver
import ExtcLower
import Foundation
import Testing

/// A reproducible certificate environment: a fixed clock and a seeded generator (SplitMix64).
enum Fixed {
    /// 2026-11-18T20:53:20Z.
    static let now = 1_795_000_000

    static func env(now: Int = Fixed.now, seed: UInt64 = 42) -> CertEnvironment {
        let state = Counter(seed)
        return CertEnvironment(now: { now }, random: { n in state.bytes(n) })
    }

    final class Counter: @unchecked Sendable {
        private var x: UInt64
        private let lock = NSLock()
        init(_ seed: UInt64) { x = seed }
        func bytes(_ n: Int) -> [UInt8] {
            lock.lock()
            defer { lock.unlock() }
            var out: [UInt8] = []
            while out.count < n {
                x &+= 0x9E37_79B9_7F4A_7C15
                var z = x
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                withUnsafeBytes(of: z) { out.append(contentsOf: $0) }
            }
            return Array(out.prefix(n))
        }
    }

    /// Committed key material for the goldens (test fixtures only; never used by the product):
    /// `Fixtures/state/<server>/`, and for a sample set `samples/SET/` `Fixtures/state/SET/<server>/`
    /// (its servers may share names with the top-level samples').
    static func stateFixture(for paths: [String]) -> String {
        let root = "\(Paths.fixtures)/state"
        guard let set = Paths.sampleSets().first(where: { set in paths.allSatisfy { $0.hasPrefix("\(Paths.samples)/\(set)/") } })
        else { return root }
        return "\(root)/\(set)"
    }

    /// A temporary state directory seeded with the committed fixture state for `paths`.
    static func seededState(for paths: [String] = []) -> String {
        let dir = Paths.temporaryDirectory("extc-state")
        let fixture = stateFixture(for: paths), sets = Set(Paths.sampleSets())
        let fm = FileManager.default
        for server in (try? fm.contentsOfDirectory(atPath: fixture)) ?? [] where fixture != "\(Paths.fixtures)/state" || !sets.contains(server) {
            try? fm.copyItem(atPath: "\(fixture)/\(server)", toPath: "\(dir)/\(server)")
        }
        return dir
    }

    /// In record mode, keeps what a build issued as the new fixture state (never the .gitignore).
    static func recordState(_ dir: String, for paths: [String]) {
        guard Golden.recording else { return }
        let fixture = stateFixture(for: paths)
        let fm = FileManager.default
        for server in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where !server.hasPrefix(".") {
            for file in (try? fm.contentsOfDirectory(atPath: "\(dir)/\(server)")) ?? [] where !file.hasPrefix(".") {
                // Only what changed: parallel tests seeded from the same fixture must not race on it.
                let text = Paths.read("\(dir)/\(server)/\(file)"), target = "\(fixture)/\(server)/\(file)"
                if Paths.read(target) != text { Paths.write(text, to: target) }
            }
        }
    }

    struct Built {
        let program: Program
        let output: BuildOutput
    }

    /// Compiles and builds in-process against the fixture state and the fixed clock.
    static func build(_ paths: [String], options: BuildOptions = BuildOptions(), state: String? = nil) throws -> Built {
        let result = try FrontEnd().compile(paths: paths)
        let program = try #require(result.program, "\(paths) has errors: \(result.diagnostics.map(\.message))")
        let dir = state ?? seededState(for: paths)
        defer { if state == nil { recordState(dir, for: paths); Paths.cleanUp(dir) } }
        let backend = CertBackend(state: StateDirectory(override: dir), env: env())
        return Built(program: program, output: try Builder.build(program, options: options, certs: backend))
    }
}
