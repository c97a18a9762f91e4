import ExtcLower
import Foundation
import Testing

/// The benchmark harness (bench/run.sh runs it in release mode) run once at a tiny size, so it
/// cannot rot between benchmark runs. These check what the harness checks of itself (the
/// generated spec is clean, the openssl baseline verifies, every save yields its own output) and
/// that it reports; they assert no timing.
@Suite(.serialized)
struct BenchTests {
    static let bench: String = {
        let beside = URL(fileURLWithPath: Paths.extc).deletingLastPathComponent().appendingPathComponent("extc-bench").path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : "\(Paths.packageRoot)/.build/debug/extc-bench"
    }()

    @Test("frontend: the generated spec checks cleanly and every stage is reported")
    func frontEnd() {
        let r = Run.program(Self.bench, ["frontend", "--servers", "12", "--resources", "3", "--repeats", "1", "--max-growth", "1000"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Front end: 12 servers, 36 resources"))
        for row in ["| baseline: newline count", "| lex ", "| lex + parse", "| check (typed IR)", "| 3 ", "| 6 ", "| 12 ", "Linear: "] {
            #expect(r.stdout.contains(row), "missing \(row)")
        }
    }

    @Test("frontend: a failed linearity gate exits non-zero")
    func frontEndGate() {
        let r = Run.program(Self.bench, ["frontend", "--servers", "8", "--resources", "1", "--repeats", "1", "--max-growth", "0.000001"])
        #expect(r.status != 0)
        #expect(r.stdout.contains("NOT LINEAR"))
    }

    @Test("certs: the openssl CLI baseline verifies; extc builds each sample")
    func certs() throws {
        guard Run.which("openssl") != nil || Run.inCI else { return }
        let r = Run.program(Self.bench, ["certs", "--extc", Paths.extc, "--samples", Paths.samples, "--iterations", "1",
                                         "--keys", "ecdsa-p256", "rsa-2048"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        for row in ["| `extc --version`", "| `extc check ", "| ecdsa-p256 | 1 ", "| rsa-2048   | 1 ", "| minimal ", "| wardle "] {
            #expect(r.stdout.contains(row), "missing \(row)")
        }
    }

    @Test("watch: each save yields that save's output")
    func watch() {
        let r = Run.program(Self.bench, ["watch", "--extc", Paths.extc, "--samples", Paths.samples, "--saves", "5", "--settle", "0", "20"],
                            timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| 0 ms   | 5 "))
        #expect(r.stdout.contains("| 20 ms  | 5 "))
        #expect(r.stdout.contains("Baseline: a fresh `extc build` process"))
    }

    @Test("bad arguments are usage errors")
    func usage() {
        #expect(Run.program(Self.bench, ["certs", "--extc", "/nonexistent/extc"]).status == 64)
        #expect(Run.program(Self.bench, ["frontend", "--servers", "0"]).status == 64)
    }
}

/// extc's own base64 (the product does not load Foundation) against Foundation's.
struct Base64Tests {
    @Test func knownVectors() {
        // RFC 4648, section 10.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors.sorted(by: { $0.key < $1.key }) { #expect(Base64.encode(plain) == encoded) }
    }

    @Test("random byte strings encode as Foundation encodes them")
    func matchesFoundation() {
        let random = Fixed.Counter(0xB64)
        for length in 0..<300 {
            let bytes = random.bytes(length)
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }
}
