import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Save-to-output latency of `extc watch`: from an editor-style save (write a temp file, then
/// rename it over the spec) to the rename that publishes the new output, seen by inotify on the
/// output directory as a downstream watcher would see it. Each save changes an annotation, so
/// every save must yield new output, which is checked. The baseline is a fresh `extc build`
/// process for the same spec with the same (warm) state: what a watcher made of a shell loop pays.
struct WatchBench {
    let extc: String
    let samples: String
    let saves: Int
    let settles: [Int]

    private static let outName = "wardle.yaml"

    func run() throws {
        let dir = try Scratch.make("watch")
        defer { Scratch.remove(dir) }
        let template = try Scratch.text("\(samples)/wardle.ext")
        let spec = Spec(template: template, path: "\(dir)/spec/wardle.ext")
        try FileIO.makeDirectory("\(dir)/spec")
        try spec.save(0)
        let state = "\(dir)/state"

        let fresh = try freshBuilds(spec, state: state, out: "\(dir)/fresh.yaml")
        var table = Table("settle", "saves", "median", "p99", "min", "max", "median - settle", "median / fresh build")
        var serial = 1_000
        for settle in settles {
            let latency = try watch(spec, settle: settle, state: state, dir: dir, serial: &serial)
            table.add("\(settle) ms", String(latency.count), ms(latency.median), ms(latency.p99), ms(latency.min),
                      ms(latency.max), ms(latency.median - Double(settle) / 1000), ratio(latency.median, fresh.median))
        }
        report("Watch: save-to-output latency, samples/wardle.ext", table, notes: [
            "Baseline: a fresh `extc build` process, same spec and warm state, writing its output: median \(ms(fresh.median)), p99 \(ms(fresh.p99)) over \(fresh.count) runs.",
            "settle is the debounce (`--settle`, default 50 ms): the watcher waits that long after the last event before it rebuilds; 0 shows the rebuild alone.",
        ])
    }

    /// The spec, saved the way editors save: a temp file in the same directory, renamed over it.
    struct Spec {
        let template: String
        let path: String

        /// The sample with an annotation that differs per save, so every save changes the output.
        func text(_ serial: Int) throws -> String {
            guard let close = template.lastIndex(of: "}") else { throw BenchError("samples/wardle.ext has no closing brace") }
            var text = template
            text.insert(contentsOf: "  annotations { bench.extc.dev/save \"save-\(serial)\" }\n", at: close)
            return text
        }

        func save(_ serial: Int) throws {
            try writeTemp(serial)
            try rename()
        }

        func writeTemp(_ serial: Int) throws { try FileIO.write(try text(serial), to: path + ".swp") }

        func rename() throws {
            guard Glibc.rename(path + ".swp", path) == 0 else { throw BenchError("rename: \(String(cString: strerror(errno)))") }
        }
    }

    private func freshBuilds(_ spec: Spec, state: String, out: String) throws -> Samples {
        try runCommand([extc, "build", spec.path, "-o", out, "--state", state])  // makes the certs, untimed
        var samples = Samples()
        for i in 1...30 {
            try spec.save(i)
            samples.add(try timed { try runCommand([extc, "build", spec.path, "-o", out, "--state", state]) })
        }
        return samples
    }

    private func watch(_ spec: Spec, settle: Int, state: String, dir: String, serial: inout Int) throws -> Samples {
        let outDir = "\(dir)/out-\(settle)"
        try FileIO.makeDirectory(outDir)
        let output = "\(outDir)/\(Self.outName)", log = "\(dir)/watch-\(settle).log"
        let published = try RenameWatch(directory: outDir)
        let child = try Child.spawn([extc, "watch", spec.path, "-o", output, "--state", state, "--settle", String(settle)], log: log)
        defer { _ = child.terminate() }
        guard try published.waitForRename(of: Self.outName, timeout: 30) != nil else {
            throw BenchError("extc watch wrote no output within 30 s; see \(log)")
        }
        var latency = Samples()
        for _ in 0..<saves {
            serial += 1
            try spec.writeTemp(serial)
            let saved = now()
            try spec.rename()
            guard let seen = try published.waitForRename(of: Self.outName, timeout: 10) else {
                throw BenchError("no output within 10 s of save \(serial); see \(log)")
            }
            latency.add(Double(seen - saved) / 1e9)
            guard try Scratch.text(output).contains("save-\(serial)\n") else {
                throw BenchError("the output after save \(serial) does not carry that save's annotation")
            }
        }
        return latency
    }
}
