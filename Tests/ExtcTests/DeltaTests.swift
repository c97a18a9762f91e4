import ExtcCerts
import ExtcCheck
import ExtcDriver
import ExtcEmit
import ExtcSyntax
import Foundation
import Testing

/// A watch's build that looks only at the servers it changed (`Builder.delta`) and a compile told
/// which files were written must make what the full paths make. Each step of a random session
/// builds three ways over the same specs and state: session A as a watch does (told what was
/// written; deltas allowed), session B forced down the full path (a state change that names no
/// server's directory), and a build from scratch; and compares them.
struct DeltaTests {
    final class Session {
        let frontEnd = FrontEnd()
        lazy var memo = BuildMemo(frontEnd: frontEnd)
    }

    static func server(_ i: Int, replicas: Int, namespace: Int, versions: String = "v1alpha1 v1beta1", reads: Bool = false) -> String {
        var body = """
          group g\(i).example.com; versions \(versions); namespace ns\(namespace); service api\(i); image registry.example.com/s\(i):v1
          replicas \(replicas)
          resource things { verbs get list watch create }

        """
        if i == 4 { body += "  storage sidecar\n" }
        if reads { body += "  volume config { files app.conf; mount /etc/app }\n" }
        return "apiserver s\(i) {\n\(body)}\n"
    }

    static let options: [(Layout, OutputFormat, Bool)] = [(.stream, .yaml, true), (.dir, .yaml, true), (.kustomize, .yaml, false),
                                                          (.dir, .json, false), (.stream, .json, true), (.dir, .yaml, false)]

    /// Files f0...f8, each with no server, one or two (server `i` lives in file `i / 2`).
    final class Specs {
        let dir = Paths.temporaryDirectory("extc-delta")
        var rng: FuzzTests.RNG
        var state: String { "\(dir)/state" }

        init(seed: UInt64) {
            rng = FuzzTests.RNG(x: seed)
            Paths.write("answer: 42\n", to: "\(dir)/specs/app.conf")
            for f in 0..<8 { write(f, text(f)) }
        }

        deinit { Paths.cleanUp(dir) }

        func path(_ f: Int) -> String { "\(dir)/specs/f\(f).ext" }
        func paths() -> [String] { Paths.files(in: "\(dir)/specs", ext: "ext") }

        func write(_ f: Int, _ text: String) {
            Paths.write(text, to: path(f) + ".tmp")
            rename(path(f) + ".tmp", path(f))
        }

        func random(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }

        /// A file's text: mostly one server, sometimes none or two; now and then one that reads a
        /// file, one in a shared namespace, one with a version fewer.
        func text(_ f: Int) -> String {
            let count = random(0..<10) < 2 ? (random(0..<2) == 0 ? 0 : 2) : 1
            return (0..<count).reduce("# file \(f)\n") { text, k in
                let i = f * 2 + k
                return text + DeltaTests.server(i, replicas: random(1..<4), namespace: random(0..<10) < 7 ? i : random(0..<3),
                                                versions: random(0..<5) == 0 ? "v1beta1" : "v1alpha1 v1beta1",
                                                reads: i == 3 || random(0..<15) == 0)
            }
        }
    }

    @Test("random sessions: a watch's builds, deltas among them, make what full builds and builds from scratch make",
          arguments: 0..<6)
    func random(_ k: Int) throws {
        let specs = Specs(seed: 0xABC0 + UInt64(k))
        let a = Session(), b = Session()
        var options = BuildOptions()
        (options.layout, options.format, options.includeSecrets) = Self.options[k]
        var now = Fixed.now
        var touched: Set<String>? = nil
        var log: [String] = []
        var deltas = 0
        for step in 0..<200 {
            let paths = specs.paths()
            let (ra, rb, rs) = (try a.frontEnd.compile(paths: paths, touched: touched), try b.frontEnd.compile(paths: paths),
                                try FrontEnd().compile(paths: paths))
            let tag = "seed \(k) step \(step); \(log.suffix(4))"
            #expect(Self.render(ra) == Self.render(rs), "\(tag): compile told what was written against scratch")
            #expect(Self.render(rb) == Self.render(rs), "\(tag): compile against scratch")
            if let pa = ra.program, let pb = rb.program, !pa.servers.isEmpty {
                let outA = try Builder.build(pa, options: options, certs: CertTests.backend(specs.state, now: now), memo: a.memo)
                b.memo.stateChanged("\(specs.dir)/none")
                // A key left readable by others is put right by the build that says so (W0008):
                // make it readable again, so that B says it too.
                let readable = outA.diagnostics.filter { $0.code == .keyReadableByOthers }.map { String($0.message.prefix { $0 != " " }) }
                readable.forEach { chmod($0, 0o644) }
                let outB = try Builder.build(pb, options: options, certs: CertTests.backend(specs.state, now: now), memo: b.memo)
                readable.forEach { chmod($0, 0o644) }
                let outS = try Builder.build(rs.program!, options: options, certs: CertTests.backend(specs.state, now: now), memo: nil)
                if a.memo.lastLooked < pa.servers.count { deltas += 1 }
                let at = "\(tag); looked at \(a.memo.lastLooked) of \(pa.servers.count)"
                #expect(outA.failed == outB.failed && outA.files == outB.files && outA.files == outS.files, "\(at): files")
                #expect(outA.failed || a.memo.lastReuse == b.memo.lastReuse, "\(at): \(a.memo.lastReuse) against \(b.memo.lastReuse)")
                #expect(outA.changes?.places == outB.changes?.places && outA.changes?.from == outB.changes?.from, "\(at): changes")
                #expect(outA.diagnostics.map(\.code) == outB.diagnostics.map(\.code), "\(at): diagnostics")
            }
            touched = []
            log.append(Self.change(specs, &now, &touched, &options, a.memo, b.memo))
        }
        #expect(deltas >= 3, "only \(deltas) of 200 builds looked at some servers alone")
    }

    static func render(_ r: FrontEnd.Result) -> [String] {
        r.diagnostics.map { "\($0.code) \($0.span.file.path):\($0.span.start) \($0.message)" }
            + (r.program.map { [$0.servers.map(\.name.value).joined(separator: ","), $0.readers.map(\.name.value).joined(separator: ",")] } ?? [])
    }

    /// One random change to the specs, the files they read, the state or the clock; what it was.
    static func change(_ specs: Specs, _ now: inout Int, _ touched: inout Set<String>?, _ options: inout BuildOptions,
                       _ memos: BuildMemo...) -> String {
        func wrote(_ f: Int, _ text: String) { specs.write(f, text); touched?.insert("f\(f).ext") }
        switch specs.random(0..<18) {
        case 0...5:
            let f = specs.random(0..<9)
            wrote(f, specs.text(f))
            return "write f\(f)"
        case 6:
            let f = specs.random(0..<9)
            guard unlink(specs.path(f)) == 0 else { return "none" }
            touched = nil  // a spec gone is structural: the watch lists the specs again
            return "unlink f\(f)"
        case 7:
            now += specs.random(0..<71)
            return "clock forward"
        case 8:
            now -= specs.random(0..<21)
            return "clock back"
        case 9:
            let c = specs.random(0..<3)
            if c == 0 { unlink("\(specs.dir)/specs/app.conf") } else { Paths.write("answer: \(c)\n", to: "\(specs.dir)/specs/app.conf") }
            return "app.conf \(c)"
        case 10:
            let d = "\(specs.state)/s\(specs.random(0..<18))"
            guard let key = ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).first(where: { $0.hasSuffix(".key") }) else { return "none" }
            chmod("\(d)/\(key)", 0o644)
            memos.forEach { $0.stateChanged(d) }
            return "key readable in \(d)"
        case 11:
            let f = specs.random(0..<8)
            wrote(f, "apiserver broken { \n")
            return "f\(f) broken"
        case 12:
            let f = specs.random(0..<8)
            wrote(f, "# empty\n")
            wrote(8, server(f * 2, replicas: 2, namespace: f * 2))
            return "s\(f * 2) moved to f8"
        case 13:
            let i = specs.random(0..<16)
            let name = specs.random(0..<2) == 0 ? "s\(i)" : "z\(i)"
            wrote(8, server(i, replicas: 1, namespace: i).replacingOccurrences(of: "apiserver s\(i) ", with: "apiserver \(name) ")
                .replacingOccurrences(of: "group g\(i)", with: "group h\(i)"))
            return "f8 clashes with s\(i) as \(name)"
        case 14:
            let d = "\(specs.state)/s\(specs.random(0..<18))"
            unlink("\(d)/tls.crt")
            unlink("\(d)/tls.key")
            memos.forEach { $0.stateChanged(d) }
            return "serving pair gone from \(d)"
        case 15:
            now += 365 * 86_400 - specs.random(10..<41) * 86_400
            return "renewal window"
        case 16:
            // A watch's options never change; a memo's builds may be asked for others.
            (options.layout, options.format, options.includeSecrets) = Self.options[specs.random(0..<Self.options.count)]
            return "options \(options.layout) \(options.format)"
        default:
            now += 1
            return "tick"
        }
    }
}
