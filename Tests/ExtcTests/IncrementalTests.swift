import ExtcCerts
import ExtcCheck
import ExtcDriver
import ExtcEmit
import ExtcSyntax
import Foundation
import Testing

/// A watch keeps each server's results between builds (`BuildMemo`). Whatever it reuses, its
/// output must be the bytes a build from scratch makes of the same specs and state.
struct IncrementalTests {
    /// A directory of spec files, one server each: two share a namespace (the first by name makes
    /// the Namespace), one has storage (etcd material), one reads a config file (never reused).
    final class Specs {
        let dir = Paths.temporaryDirectory("extc-incremental")
        var state: String { "\(dir)/state" }
        let frontEnd = FrontEnd()
        lazy var memo = BuildMemo(frontEnd: frontEnd)

        init(count: Int = 12) {
            for i in 0..<count { write(i, Self.server(i)) }
            Paths.write("answer: 42\n", to: "\(dir)/specs/app.conf")
        }

        deinit { Paths.cleanUp(dir) }

        static func server(_ i: Int, replicas: Int = 2) -> String {
            let namespace = i == 1 ? "ns0" : "ns\(i)"
            var body = """
              group g\(i).example.com; versions v1alpha1 v1beta1; namespace \(namespace); service api\(i); image registry.example.com/s\(i):v1
              replicas \(i == 2 ? 1 : replicas)
              resource things { verbs get list watch create }

            """
            if i == 2 { body += "  storage sidecar\n" }
            if i == 3 { body += "  volume config { files app.conf; mount /etc/app }\n" }
            return "apiserver s\(i) {\n\(body)}\n"
        }

        func path(_ i: Int) -> String { "\(dir)/specs/s\(i).ext" }

        /// Writes as an editor does: a new file renamed over the old.
        func write(_ i: Int, _ text: String) {
            Paths.write(text, to: path(i) + ".tmp")
            rename(path(i) + ".tmp", path(i))
        }

        func paths() -> [String] { Paths.files(in: "\(dir)/specs", ext: "ext") }

        var options = BuildOptions()

        /// A build through the memo (as watch makes them).
        func incremental(now: Int = Fixed.now) throws -> BuildOutput {
            try build(frontEnd, memo: memo, now: now)
        }

        /// A build from scratch of the same specs and state.
        func scratch(now: Int = Fixed.now) throws -> BuildOutput {
            try build(FrontEnd(), memo: nil, now: now)
        }

        private func build(_ frontEnd: FrontEnd, memo: BuildMemo?, now: Int) throws -> BuildOutput {
            let result = try frontEnd.compile(paths: paths())
            let program = try #require(result.program, "\(result.diagnostics.map(\.message))")
            let output = try Builder.build(program, options: options, certs: CertTests.backend(state, now: now), memo: memo)
            #expect(!output.failed, "\(output.diagnostics.map(\.message))")
            return output
        }
    }

    /// The incremental build's output, then a scratch build's: equal, byte for byte.
    static func expectSame(_ specs: Specs, now: Int = Fixed.now, _ comment: Comment? = nil,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> BuildOutput {
        let fast = try specs.incremental(now: now)
        let slow = try specs.scratch(now: now)
        #expect(fast.files == slow.files, comment, sourceLocation: sourceLocation)
        return fast
    }

    @Test("a save of one spec among many keeps every other server's results, and the output is a scratch build's")
    func oneSaved() throws {
        let specs = Specs()
        let first = try specs.incremental()
        #expect(specs.memo.lastReuse == BuildMemo.Reuse(servers: 12, certificates: 0, objects: 0))
        #expect(first.files[0].contents.contains("kind: Namespace"))
        specs.write(5, Specs.server(5, replicas: 7))
        let second = try Self.expectSame(specs)
        #expect(second.files[0].contents.contains("replicas: 7"))
        // s3 reads a config file, so it is never kept; s5 changed.
        #expect(specs.memo.lastReuse == BuildMemo.Reuse(servers: 12, certificates: 10, objects: 10))
        // Only s5 and s3 were looked at: every other entry stands without being read.
        #expect(specs.memo.lastLooked == 2)
        _ = try Self.expectSame(specs, "nothing changed")
        #expect(specs.memo.lastReuse == BuildMemo.Reuse(servers: 12, certificates: 11, objects: 11))
        #expect(specs.memo.lastLooked == 1)
    }

    @Test("a build looks only at the saved spec's server while every other entry stands, and at all of them when one may not")
    func looked() throws {
        let specs = Specs()
        _ = try specs.incremental()
        #expect(specs.memo.lastLooked == 12)
        specs.write(7, Specs.server(7, replicas: 4))
        _ = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 2, "s7 and s3, which reads a file")
        // The file s3 reads changes with no spec saved: s3 is looked at all the same.
        Paths.write("answer: 43\n", to: "\(specs.dir)/specs/app.conf")
        let read = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 1 && read.files[0].contents.contains("answer: 43"))
        // A state directory changed, a minute gone, other options: every server is looked at.
        specs.memo.stateChanged("\(specs.state)/elsewhere")
        _ = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 12)
        _ = try Self.expectSame(specs, now: Fixed.now + BuildMemo.certificateAge)
        #expect(specs.memo.lastLooked == 12 && specs.memo.lastReuse.certificates == 0)
        _ = try Self.expectSame(specs, now: Fixed.now + BuildMemo.certificateAge)
        #expect(specs.memo.lastLooked == 1)
        specs.options.layout = .dir
        _ = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 12)
        // A server added or removed: the places move.
        specs.write(12, Specs.server(12))
        _ = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 13)
    }

    @Test("every server volatile, on a clock before 1970: the times that say entries stand do not overflow")
    func allVolatile() throws {
        let specs = Specs(count: 0)
        specs.write(3, Specs.server(3))  // reads app.conf: looked at by every build
        for _ in 0..<2 { _ = try Self.expectSame(specs, now: -10) }
        #expect(specs.memo.lastLooked == 1)
    }

    @Test("a saved spec that moves its server to another namespace: the build looks at every server, and says what it issued once")
    func regrouped() throws {
        let specs = Specs()
        _ = try specs.incremental()
        specs.write(6, Specs.server(6).replacingOccurrences(of: "namespace ns6", with: "namespace ns0"))
        let out = try Self.expectSame(specs)
        #expect(specs.memo.lastLooked == 12, "who makes which Namespace is worked out again")
        #expect(out.notes.filter { $0.contains("s6: issued a serving certificate for api6.ns0.svc") }.count == 1, "\(out.notes)")
        #expect(!out.files[0].pieces.contains { $0.contains("name: ns6\n") }, "ns6 is no one's now")
    }

    @Test("every layout and format, with and without Secrets, gives a scratch build's files after an edit",
          arguments: [(Layout.stream, OutputFormat.yaml, false), (.stream, .json, true), (.dir, .yaml, true), (.kustomize, .yaml, false),
                      (.dir, .json, false)])
    func layouts(_ layout: Layout, _ format: OutputFormat, _ secrets: Bool) throws {
        let specs = Specs(count: 6)
        specs.options.layout = layout
        specs.options.format = format
        specs.options.includeSecrets = secrets
        _ = try specs.incremental()
        specs.write(4, Specs.server(4, replicas: 9))
        let out = try Self.expectSame(specs)
        #expect(out.files.contains { $0.contents.contains(format == .json ? "\"replicas\": 9" : "replicas: 9") })
        #expect(specs.memo.lastReuse.objects == 4)
    }

    @Test("removing the server that made a shared namespace hands the Namespace to the other")
    func sharedNamespace() throws {
        let specs = Specs()
        _ = try specs.incremental()
        unlink(specs.path(0))
        let out = try Self.expectSame(specs)
        #expect(out.files[0].contents.contains("name: ns0\n"), "s1 now makes ns0")
        // s1's objects are kept (its checks run again: it now keeps its Namespace); s3 reads a file.
        #expect(specs.memo.lastReuse == BuildMemo.Reuse(servers: 11, certificates: 10, objects: 10))
    }

    @Test("a key deleted from the state is re-issued once the watch reports the change; a stale reuse would keep it")
    func stateChanged() throws {
        let specs = Specs()
        let before = try specs.incremental()
        let server = try #require(specs.frontEnd.compile(paths: [specs.path(2)]).program?.servers.first)
        let dir = StateDirectory(override: specs.state).directory(for: server)
        unlink("\(dir)/tls.key")
        unlink("\(dir)/tls.crt")
        _ = try specs.incremental()
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/tls.key"), "without the report the memo trusts what it saw")
        specs.memo.stateChanged(dir)
        let after = try Self.expectSame(specs)
        #expect(after.notes.contains { $0.contains("s2: issued a serving certificate") }, "\(after.notes)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/tls.key"))
        #expect(after.files != before.files)
    }

    @Test("certificates are checked again after a minute, so a renewal window that opens during a session is found")
    func certificateAge() throws {
        let specs = Specs()
        _ = try specs.incremental()
        _ = try specs.incremental(now: Fixed.now + BuildMemo.certificateAge - 1)
        #expect(specs.memo.lastReuse.certificates == 11)
        _ = try Self.expectSame(specs, now: Fixed.now + BuildMemo.certificateAge)
        #expect(specs.memo.lastReuse.certificates == 0)
        let year = 365 * 86_400
        let renewed = try Self.expectSame(specs, now: Fixed.now + year - 86_400)
        #expect(renewed.notes.contains { $0.contains("issued a serving certificate") }, "\(renewed.notes)")
    }

    @Test("an unchanged file is not read again; one rewritten within the same clock tick always is")
    func statCache() throws {
        let specs = Specs(count: 2)
        _ = try specs.incremental()
        let revision = specs.frontEnd.revision(of: specs.path(0))
        _ = try specs.incremental()
        #expect(specs.frontEnd.revision(of: specs.path(0)) == revision)
        // Same size, same inode, written in place twice in quick succession.
        let text = Specs.server(0, replicas: 3)
        for replicas in [4, 5] {
            let fd = open(specs.path(0), O_WRONLY | O_TRUNC)
            _ = Specs.server(0, replicas: replicas).withCString { write(fd, $0, strlen($0)) }
            close(fd)
            let out = try specs.incremental()
            #expect(out.files[0].contents.contains("replicas: \(replicas)"), "\(text.count)")
        }
    }

    @Test("an edit that keeps kinds and names patches the last output in place; one that adds an object or renames one assembles anew",
          arguments: [Layout.stream, .dir, .kustomize])
    func patched(_ layout: Layout) throws {
        let specs = Specs(count: 6)
        specs.options.layout = layout
        let first = try specs.incremental()
        #expect(first.changes == nil && first.generation == 1)
        specs.write(4, Specs.server(4, replicas: 9))
        let second = try Self.expectSame(specs)
        let places = try #require(second.changes, "a field edit patches").places
        #expect(second.changes?.from == 1 && second.generation == 2)
        let changed = layout == .stream ? places.map { second.files[0].pieces[$0] } : places.map { second.files[$0].contents }
        #expect(changed.count == places.count && changed.contains { $0.contains("replicas: 9") })
        // Every place that differs from the build before is among those named.
        if layout != .stream {
            #expect(second.files.indices.filter { second.files[$0] != first.files[$0] }.allSatisfy(places.contains))
        }
        specs.write(4, Specs.server(4).replacingOccurrences(of: "versions v1alpha1 v1beta1", with: "versions v1alpha1 v1beta1 v1"))
        #expect(try Self.expectSame(specs, "a version more: one APIService more").changes == nil)
        specs.write(4, Specs.server(4).replacingOccurrences(of: "service api4", with: "service other4"))
        #expect(try Self.expectSame(specs, "a Service renamed").changes == nil)
        specs.write(4, Specs.server(4, replicas: 3).replacingOccurrences(of: "service api4", with: "service other4"))
        #expect(try Self.expectSame(specs, "back to a field edit").changes != nil)
    }

    @Test("random edits to random specs, 60 builds in a row: each output is a scratch build's", arguments: [Layout.stream, .dir])
    func randomEdits(_ layout: Layout) throws {
        let specs = Specs(count: 10)
        specs.options.layout = layout
        _ = try specs.incremental()
        var rng = FuzzTests.RNG(x: 0x1DC5_ED17)
        var present = Set(0..<10)
        var deltas = 0
        for step in 0..<60 {
            let i = Int.random(in: 0..<12, using: &rng)
            var text = Specs.server(i, replicas: Int.random(in: 1...5, using: &rng))
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: text = text.replacingOccurrences(of: "versions v1alpha1 v1beta1", with: "versions v1beta1")
            case 1: text = text.replacingOccurrences(of: "namespace ns\(i)", with: "namespace ns\(Int.random(in: 0..<3, using: &rng))")
            case 2: text = text.replacingOccurrences(of: "verbs get list watch create", with: "verbs get list")
            case 3 where present.count > 2 && present.contains(i):
                unlink(specs.path(i))
                present.remove(i)
                _ = try Self.expectSame(specs, "step \(step): s\(i) deleted")
                continue
            default: break
            }
            specs.write(i, text)
            present.insert(i)
            _ = try Self.expectSame(specs, "step \(step): s\(i) edited")
            if specs.memo.lastLooked < present.count { deltas += 1 }
        }
        #expect(deltas >= 25, "most builds look only at the servers that changed")
    }

    @Test("a watch's compile reads again each settled file it is told was written, and keeps the rest as a compile from scratch finds them")
    func toldWritten() throws {
        let specs = Specs(count: 6), paths = specs.paths()
        func render(_ r: FrontEnd.Result) -> [String] {
            r.diagnostics.map { "\($0.code) \($0.message)" } + (r.program?.servers.map { "\($0.name.value) \($0.image.value.raw) \($0.replicas.value)" } ?? [])
        }
        _ = try specs.frontEnd.compile(paths: paths)
        // Past the two seconds after which a file's parse is trusted without a look (FileStamp).
        usleep(2_200_000)
        _ = try specs.frontEnd.compile(paths: paths, touched: [])
        // Each step writes a file still settled, so only being told of it brings the change in.
        for i in 0..<5 {
            specs.write(i, Specs.server(i, replicas: 3).replacingOccurrences(of: "/s\(i):v1", with: "/s\(i):v2"))
            let told = try specs.frontEnd.compile(paths: paths, touched: ["s\(i).ext"]), fresh = try FrontEnd().compile(paths: paths)
            #expect(render(told) == render(fresh), "s\(i) written")
            #expect(render(told).contains { $0.hasPrefix("s\(i) registry.example.com/s\(i):v2 ") }, "\(render(told))")
        }
    }

    @Test("a name one file gives up, another takes and the first takes back: the clash is found, each combine told only of its file")
    func nameTakenBack() throws {
        func check(_ i: Int, service: String? = nil) -> Checker.FileCheck {
            let text = Specs.server(i).replacingOccurrences(of: "service api\(i)", with: "service \(service ?? "api\(i)")")
            let (syntax, ds) = Parser.parse(SourceFile(path: "s\(i).ext", text: text))
            #expect(ds.isEmpty)
            return Checker.checkFile(syntax)
        }
        let index = Checker.CrossIndex()
        var checks = (0..<3).map { check($0) }
        _ = Checker.combine(checks, index: index)
        func step(_ i: Int, service: String) -> [String] {
            checks[i] = check(i, service: service)
            let told = Checker.combine(checks, index: index, changed: [i]), fresh = Checker.combine(checks)
            let codes = told.diagnostics.map(\.code.rawValue)
            #expect(codes == fresh.diagnostics.map(\.code.rawValue), "s\(i) takes \(service)")
            #expect(told.program?.servers.map(\.service.value) == fresh.program?.servers.map(\.service.value))
            return codes
        }
        // s0 and s1 share ns0: their Services clash when they share a name.
        #expect(step(0, service: "other").isEmpty)
        #expect(step(1, service: "api0").isEmpty, "api0 is free now")
        #expect(step(0, service: "api0") == [DiagnosticCode.duplicateService.rawValue])
    }

    @Test("names compared across files, kept between compiles: clashes and warnings made and mended in random files are found as a fresh compile finds them, told which file was written or not",
          arguments: [false, true])
    func crossFindings(told: Bool) throws {
        let specs = Specs(count: 8)
        _ = try specs.frontEnd.compile(paths: specs.paths())
        var rng = FuzzTests.RNG(x: 0xC405_5E5)
        func render(_ r: FrontEnd.Result) -> [String] { r.diagnostics.map { "\($0.code) \($0.span.file.path):\($0.span.start) \($0.message)" } }
        for step in 0..<50 {
            let i = Int.random(in: 0..<8, using: &rng), j = Int.random(in: 0..<8, using: &rng)
            var text = Specs.server(i)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: text = text.replacingOccurrences(of: "apiserver s\(i) ", with: "apiserver s\(j) ")
            case 1: text = text.replacingOccurrences(of: "group g\(i).", with: "group g\(j).")
            case 2: text = text.replacingOccurrences(of: "namespace ns\(i == 1 ? 0 : i); service api\(i)", with: "namespace ns\(j); service api\(j)")
            case 3: text = text.replacingOccurrences(of: "  resource", with: "  user-roles { view shared:view }\n  resource")
            case 4: text = text.replacingOccurrences(of: "/s\(i):v1", with: "/s\(i)")  // W0001, the file's own finding
            default: break
            }
            specs.write(i, text)
            let kept = try specs.frontEnd.compile(paths: specs.paths(), touched: told ? ["s\(i).ext"] : nil)
            let fresh = try FrontEnd().compile(paths: specs.paths())
            #expect(render(kept) == render(fresh), "step \(step): s\(i) written")
            #expect(kept.program?.servers.map(\.name.value) == fresh.program?.servers.map(\.name.value))
            #expect(kept.program?.readers.map(\.name.value) == fresh.program?.readers.map(\.name.value), "s3 reads a file")
        }
    }
}
