import ExtcEmit
import ExtcSyntax
import Foundation
import Testing

/// A watch changes a layout directory in place (`LayoutMirror.update`) where a build writes it
/// whole (`OutputWriter.write`). Over random sequences of layouts, with and without a
/// `.gitignore` of the user's, the two directories must hold the same files with the same modes
/// after every step.
struct LayoutMirrorTests {
    /// A random layout: files as `Layouts.files` names them, some holding keys, and a
    /// `.gitignore` naming each key file, so that it changes from step to step (extc's own lists
    /// patterns now, and changes only as Secrets come and go; a mirror must follow any change).
    static func layout(_ rng: inout FuzzTests.RNG, step: Int) -> [OutputFile] {
        var files: [OutputFile] = []
        for s in 0..<Int.random(in: 1..<6, using: &rng) {
            files.append(OutputFile(name: "01-serviceaccount.ns\(s).s\(s).yaml", contents: "sa \(s)\n", sensitive: false))
            if Int.random(in: 0..<3, using: &rng) > 0 {
                files.append(OutputFile(name: "05-secret.ns\(s).s\(s)-tls.yaml", contents: "key \(s) \(Int.random(in: 0..<2, using: &rng) == 0 ? step : 0)\n",
                                        sensitive: true))
            }
            files.append(OutputFile(name: "10-deployment.ns\(s).s\(s).yaml", contents: "replicas \(Int.random(in: 1..<4, using: &rng))\n", sensitive: false))
        }
        let secrets = files.filter(\.sensitive).map(\.name)
        if !secrets.isEmpty {
            let ignore = "# Written by extc: these files hold private keys; never commit them.\n"
                + (secrets.map { "/\($0)" } + ["/\(OutputWriter.secretManifest)"]).map { "\($0)\n" }.joined()
            files.append(OutputFile(name: ".gitignore", contents: ignore, sensitive: false))
        }
        return files
    }

    /// Every regular file in `dir`, with its mode and text.
    static func snapshot(_ dir: String) -> [String: String] {
        var out: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            out[name] = "\(String(FileIO.mode(of: "\(dir)/\(name)") ?? 0, radix: 8)) \(Paths.read("\(dir)/\(name)"))"
        }
        return out
    }

    @Test("random layouts written in place by a mirror leave what full writes leave, a user's .gitignore or not, with Secrets or without",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func againstFullWrites(userIgnore: Bool, withhold: Bool) throws {
        let root = Paths.temporaryDirectory("extc-mirror")
        defer { Paths.cleanUp(root) }
        let (mirrored, full) = ("\(root)/mirrored", "\(root)/full")
        for dir in [mirrored, full] where userIgnore { Paths.write("*.log\n", to: "\(dir)/.gitignore") }
        var rng = FuzzTests.RNG(x: 0x61D0 + (userIgnore ? 1 : 0) + (withhold ? 2 : 0))
        // Without Secrets (`--no-secrets`) the key files are left out and named as withheld.
        func split(_ all: [OutputFile]) -> ([OutputFile], [String]?) {
            withhold ? (all.filter { !$0.sensitive }, all.filter(\.sensitive).map(\.name)) : (all, nil)
        }
        var all = Self.layout(&rng, step: 0)
        var (files, withheld) = split(all)
        for dir in [mirrored, full] { _ = try OutputWriter.write(files, toDirectory: dir, withheld: withheld) }
        var mirror = try #require(LayoutMirror(verifying: files, in: mirrored, withheld: withheld))
        var inPlace = 0
        for step in 1...60 {
            all = Self.layout(&rng, step: step)
            (files, withheld) = split(all)
            if try mirror.update(files, withheld: withheld) != nil {
                inPlace += 1
            } else {
                _ = try OutputWriter.write(files, toDirectory: mirrored, withheld: withheld)
                mirror = try #require(LayoutMirror(verifying: files, in: mirrored, withheld: withheld))
            }
            _ = try OutputWriter.write(files, toDirectory: full, withheld: withheld)
            let (a, b) = (Self.snapshot(mirrored), Self.snapshot(full))
            #expect(a == b, "step \(step): \(Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted())")
            let ignored = Set(Paths.read("\(mirrored)/.gitignore").split(separator: "\n").map(String.init))
            #expect(all.filter(\.sensitive).allSatisfy { ignored.contains("/\($0.name)") }, "step \(step): a key file not ignored")
            #expect(!userIgnore || ignored.contains("*.log"), "step \(step): the user's line is gone")
        }
        #expect(inPlace == 60, "every step written in place (no new subdirectory, Secrets never left out)")
    }
}
