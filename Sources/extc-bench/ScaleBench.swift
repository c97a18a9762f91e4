import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Builds at scale (issue #13): N generated API servers in one file, checked, built fresh and
/// warm; the sample fresh against process start and the openssl CLI; watch with one of N spec
/// files saved. Every figure stands next to its baseline from the same run, and its target.
struct ScaleBench {
    let extc: String
    let samples: String
    let servers: Int
    let large: Int
    let repeats: Int
    let rsaRepeats: Int
    /// Only the watch rows.
    var watchOnly = false

    /// The generated server: two versions, two resources (one cluster-scoped).
    static func server(_ i: Int) -> String {
        """
        apiserver s\(i) {
          group g\(i).example.com; versions v1alpha1 v1beta1; namespace ns\(i); service api; image registry.example.com/s\(i):v1
          resource things { verbs get list watch create }; resource others { verbs get list; scope cluster }
        }

        """
    }

    func run() throws {
        let dir = try Scratch.make("scale")
        defer { Scratch.remove(dir) }
        var table = Table("figure", "measured", "baseline", "ratio", "target")
        if watchOnly {
            try watchRows(dir, into: &table)
            return report("Scale: watch over \(servers) spec files (issue #13)", table)
        }
        let version = try median(repeats * 4) { try runCommand([extc, "--version"]) }

        let spec = "\(dir)/n\(servers).ext"
        try FileIO.write((0..<servers).map(Self.server).joined(), to: spec)
        let state = "\(dir)/state", out = "\(dir)/out.yaml"
        // Each phase starts with nothing left to write back from the one before (a fresh build
        // leaves thousands of files dirty, whose writeback would land in the next figure). A
        // fresh build's system time is shown: several seconds of it mark a disk slow to make
        // inodes (ext4 without a journal, soon after a large delete; README, Benchmarks).
        sync()
        let parallel = try runMeasured([extc, "build", spec, "--state", state, "-o", out])
        sync()
        let sequentialState = "\(dir)/state-seq"
        let sequential = try runMeasured(["env", "EXTC_JOBS=1", extc, "build", spec, "--state", sequentialState, "-o", out])
        table.add("\(servers) servers, fresh ECDSA P-256 (\(2 * servers) keys and certificates)",
                  "\(secs(parallel.seconds)) (\(secs(parallel.system)) system)",
                  "\(secs(sequential.seconds)) (EXTC_JOBS=1; \(secs(sequential.system)) system)",
                  ratio(parallel.seconds, sequential.seconds), "≤ 1.5 s on 2 cores")

        sync()
        let check = try median(repeats) { try runCommand([extc, "check", spec, "--state", state]) }
        let (warm, peak) = try warmBuild(spec, state: state, out: out)
        table.add("\(servers) servers, warm build", "\(secs(warm)), \(peak / 1024) MB peak", "\(secs(check)) (`extc check`)",
                  ratio(warm, check), "≤ 0.5 s, ≤ 150 MB")
        table.add("\(servers) servers, `extc check`", secs(check), "\(ms(version)) (`extc --version`)", ratio(check, version), "≤ 0.15 s")

        if large > servers {
            let big = "\(dir)/n\(large).ext", bigState = "\(dir)/state-large"
            try FileIO.write((0..<large).map(Self.server).joined(), to: big)
            try runCommand([extc, "build", big, "--state", bigState, "-o", out])
            sync()
            let (bigWarm, bigPeak) = try warmBuild(big, state: bigState, out: out)
            let perServer = bigWarm / Double(large), basePerServer = warm / Double(servers)
            table.add("\(large) servers, warm build (per server)", "\(ms(perServer)) (\(secs(bigWarm)), \(bigPeak / 1024) MB)",
                      "\(ms(basePerServer)) (\(servers) servers)", ratio(perServer, basePerServer), "≤ 1.25x")
        }

        sync()
        try sampleRows(dir, version: version, into: &table)
        sync()
        try watchRows(dir, into: &table)
        report("Scale: \(servers) generated API servers (issue #13)", table, notes: [
            "Fresh builds write every key and certificate with fsync (keys durable before the certificate naming them); warm builds reuse them.",
        ])
    }

    /// A warm build's median time and the largest peak RSS (KB) of its runs.
    private func warmBuild(_ spec: String, state: String, out: String) throws -> (Double, Int) {
        var samples = Samples(), peak = 0
        for _ in 0..<repeats {
            let run = try runMeasured([extc, "build", spec, "--state", state, "-o", out])
            samples.add(run.seconds)
            peak = Swift.max(peak, run.peakKB)
        }
        return (samples.median, peak)
    }

    /// `samples/minimal.ext` fresh (a CA and a serving certificate) against the openssl CLI making
    /// the same material, per RSA size; `samples/wardle.ext` fresh (six keys) against process start.
    private func sampleRows(_ dir: String, version: Double, into table: inout Table) throws {
        let minimal = try Scratch.text("\(samples)/minimal.ext")
        for key in ["rsa-2048", "rsa-4096"] {
            let keyDir = "\(dir)/\(key)"
            try FileIO.makeDirectory(keyDir)
            let spec = "\(keyDir)/minimal.ext"
            try FileIO.write(CertBench.minimal(minimal, key: key), to: spec)
            let recipe = OpenSSLRecipe(key: key)
            let n = key == "rsa-4096" ? Swift.max(2, rsaRepeats / 2) : rsaRepeats
            var ours = Samples(), theirs = Samples()
            for i in 0..<n {
                ours.add(try timed { try runCommand([extc, "build", spec, "--state", "\(keyDir)/state-\(i)", "-o", "\(keyDir)/out.yaml"]) })
                let work = "\(keyDir)/openssl-\(i)"
                try recipe.prepare(in: work)
                theirs.add(try timed { try recipe.make(in: work) })
                if i == 0 { try recipe.verify(in: work) }
            }
            table.add("`samples/minimal.ext` fresh, \(key)", ms(ours.median), "\(ms(theirs.median)) (openssl CLI)",
                      ratio(ours.median, theirs.median), "≤ 0.6x")
        }
        let wardle = "\(samples)/wardle.ext"
        var n = 0
        let fresh = try median(repeats * 2) {
            n += 1
            try runCommand([extc, "build", wardle, "--state", "\(dir)/wardle-\(n)", "-o", "\(dir)/wardle.yaml"])
        }
        table.add("`samples/wardle.ext` fresh, ECDSA P-256 (six keys)", ms(fresh), "\(ms(version)) (`extc --version`)",
                  ratio(fresh, version), "≤ 1.5x")
    }

    /// `extc watch` over N spec files, one server each: from an editor-style save of one file
    /// (temp file renamed over it) to the rename that publishes the last file the save changes,
    /// seen by inotify on the output directory (as `WatchBench` measures), against the same with
    /// a single spec file. Each save gives new output, which is checked. Four cases: the stream
    /// (`-o FILE`, one 11 MB file at 1,000 servers) with a label edited in place and with one
    /// that grows (the stream written from the first change on), and a directory layout
    /// (`--out-dir`, one file per object) with an edit that changes every object (a label: 14
    /// files) and with one that changes one (the image: the Deployment's file).
    private func watchRows(_ dir: String, into table: inout Table) throws {
        struct Case {
            let title: String
            let layout: Bool
            /// The spec with save `k`'s edit, and the text the output then holds.
            let edit: (Int) -> (spec: String, shows: String)  // k from -2 (the two saves not counted)
            /// Files each save publishes.
            let files: Int
        }
        let cases = [
            Case(title: "`-o FILE`, a label edited (one 11 MB stream)", layout: false, edit: { k in
                (Self.server(0).replacingFirst("resource things", with: "labels { save \"s\(k)\" }; resource things"), "save: s\(k)\n")
            }, files: 1),
            // Each save one character longer: every document from s0's first on moves, so the
            // stream is rewritten from there (most of it: s0's Namespace comes first).
            Case(title: "`-o FILE`, a label one character longer each save (the stream rewritten from its first change)", layout: false,
                 edit: { k in
                let value = "s" + String(repeating: "x", count: k + 3)
                return (Self.server(0).replacingFirst("resource things", with: "labels { save \"\(value)\" }; resource things"), "save: \(value)\n")
            }, files: 1),
            Case(title: "`--out-dir`, a label edited (14 files)", layout: true, edit: { k in
                (Self.server(0).replacingFirst("resource things", with: "labels { save \"s\(k)\" }; resource things"), "save: s\(k)\n")
            }, files: 14),
            Case(title: "`--out-dir`, the image edited (1 file)", layout: true, edit: { k in
                (Self.server(0).replacingFirst("s0:v1", with: "s0:v\(k + 10)"), "s0:v\(k + 10)\n")
            }, files: 1),
        ]
        func latency(_ c: Case, _ number: Int, files: Int, saves: Int) throws -> Double {
            let specs = "\(dir)/watch-\(number)-\(files)", outDir = "\(dir)/watch-out-\(number)-\(files)"
            try FileIO.makeDirectory(specs)
            try FileIO.makeDirectory(outDir)
            for i in 0..<files { try FileIO.write(Self.server(i), to: "\(specs)/s\(i).ext") }
            let generated = now()
            let log = "\(dir)/watch-\(number)-\(files).log", layoutDir = "\(outDir)/layout"
            let output = c.layout ? ["--out-dir", layoutDir] : ["-o", "\(outDir)/out.yaml"]
            let child = try Child.spawn([extc, "watch", specs, "--state", "\(dir)/watch-state-\(number)-\(files)", "--settle", "0"] + output,
                                        log: log)
            defer { _ = child.terminate() }
            // The first build publishes the whole set (a layout as one directory renamed into
            // place), then watches and reads it back: its status line says it is done.
            let deadline = now() + 120_000_000_000
            while !(try Scratch.text(log)).contains("built in") {
                guard now() < deadline else { throw BenchError("no first build; see \(log)") }
                usleep(10_000)
            }
            let published = try RenameWatch(directory: c.layout ? layoutDir : outDir)
            // Steady state: the first build's files written back, and two saves not counted (the
            // first after a full build also reads the state of the one spec it rebuilds). The
            // specs just written: a watch trusts a file's parse without a look only once its
            // last change is two seconds older than the read (`FileStamp.granularity`), so until
            // then every save reads all 1,000 again (10-16 ms). Real specs are older than that;
            // the saves start after it, and the first (not counted) reads them once more.
            sync()
            while now() < generated + 2_500_000_000 { usleep(10_000) }
            var samples = Samples()
            for k in -2..<saves {
                let (text, shows) = c.edit(k)
                try FileIO.write(text, to: "\(specs)/.s0.ext.swp")
                let saved = now()
                guard rename("\(specs)/.s0.ext.swp", "\(specs)/s0.ext") == 0 else { throw BenchError("rename failed") }
                guard let seen = try published.waitForRenames(c.files, timeout: 30) else {
                    throw BenchError("no output after save \(k); see \(log)")
                }
                if k >= 0 { samples.add(Double(seen - saved) / 1e9) }
                let file = c.layout ? "\(layoutDir)/12-deployment.ns0.s0.yaml" : "\(outDir)/out.yaml"
                guard try Scratch.text(file).contains(shows) else { throw BenchError("the output after save \(k) lacks \(shows)") }
                usleep(20_000)
            }
            return samples.median
        }
        for (number, c) in cases.enumerated() {
            let one = try latency(c, number, files: 1, saves: repeats * 3), many = try latency(c, number, files: servers, saves: Swift.max(9, repeats * 2))
            table.add("watch, one of \(servers) spec files saved (`--settle 0`): \(c.title)", ms(many), "\(ms(one)) (one spec file)",
                      ratio(many, one), "≤ 5 ms, ≤ 2x")
        }
    }

    private func median(_ n: Int, _ body: () throws -> Void) throws -> Double {
        var s = Samples()
        for _ in 0..<n { s.add(try timed(body)) }
        return s.median
    }
}

func secs(_ seconds: Double) -> String { fixed(seconds, 2) + " s" }
