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
        _ = try Self.expectSame(specs, "nothing changed")
        #expect(specs.memo.lastReuse == BuildMemo.Reuse(servers: 12, certificates: 11, objects: 11))
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
}
