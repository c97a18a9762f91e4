import ExtcSyntax
/// `extc build` of `samples/minimal.ext` (a CA and a serving certificate, no storage) with fresh
/// state and with reused state, against the openssl CLI making the same material, per key type;
/// then every sample. Runs of extc and openssl are
/// interleaved, so background load on the machine falls on both alike.
struct CertBench {
    static let allKeys = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"]

    let extc: String
    let samples: String
    let iterations: Int
    let keys: [String]

    func run() throws {
        let dir = try Scratch.make("certs")
        defer { Scratch.remove(dir) }
        let start = try processStart()
        try keyTypes(in: dir, floors: start)
        try sampleBuilds(in: dir, floors: start)
    }

    /// The floors under every build below: starting a process, starting extc, and extc's front end
    /// alone (`extc check` of the minimal spec: argument parsing, reading, parsing and checking it;
    /// no OpenSSL, no output).
    struct Floors {
        let exec: Double, extc: Double, openssl: Double, check: Double
    }

    private func processStart() throws -> Floors {
        var exec = Samples(), extcStart = Samples(), openssl = Samples(), check = Samples()
        let minimal = "\(samples)/minimal.ext"
        for _ in 0..<30 {
            exec.add(try timed { try runCommand(["true"]) })
            extcStart.add(try timed { try runCommand([extc, "--version"]) })
            openssl.add(try timed { try runCommand(["openssl", "version"]) })
            check.add(try timed { try runCommand([extc, "check", minimal]) })
        }
        var table = Table("process", "median")
        table.add("`true`", ms(exec.median))
        table.add("`openssl version`", ms(openssl.median))
        table.add("`extc --version`", ms(extcStart.median))
        table.add("`extc check samples/minimal.ext`", ms(check.median))
        report("Process start (baselines)", table)
        return Floors(exec: exec.median, extc: extcStart.median, openssl: openssl.median, check: check.median)
    }

    private func keyTypes(in dir: String, floors: Floors) throws {
        let minimal = try Scratch.text("\(samples)/minimal.ext")
        var table = Table("key", "runs", "openssl CLI (5 commands)", "extc build, fresh", "fresh / openssl",
                          "extc build, warm", "warm / openssl", "fresh - extc check")
        for key in keys {
            guard Self.allKeys.contains(key) else { throw BenchError("unknown key type \(key)") }
            let n = key == "rsa-3072" || key == "rsa-4096" ? Swift.max(1, iterations / 2) : iterations
            let keyDir = "\(dir)/\(key)"
            try FileIO.makeDirectory(keyDir)
            let spec = "\(keyDir)/minimal.ext"
            try FileIO.write(Self.minimal(minimal, key: key), to: spec)

            let recipe = OpenSSLRecipe(key: key)
            var openssl = Samples(), fresh = Samples(), warm = Samples()
            for i in 0..<n {
                let work = "\(keyDir)/openssl-\(i)"
                try recipe.prepare(in: work)
                openssl.add(try timed { try recipe.make(in: work) })
                if i == 0 { try recipe.verify(in: work) }
                fresh.add(try timed { try build(spec, state: "\(keyDir)/state-\(i)", out: "\(keyDir)/fresh.yaml") })
            }
            for _ in 0..<n {
                warm.add(try timed { try build(spec, state: "\(keyDir)/state-0", out: "\(keyDir)/warm.yaml") })
            }
            table.add(key, String(n), ms(openssl.median), ms(fresh.median), ratio(fresh.median, openssl.median),
                      ms(warm.median), ratio(warm.median, openssl.median), ms(fresh.median - floors.check))
        }
        report("Certificates: samples/minimal.ext per key type (medians)", table, notes: [
            "fresh: a new state directory each run, so extc makes a CA and a serving key and certificate and writes every manifest.",
            "warm: the state is reused (the output is byte-identical, so it is not rewritten).",
            "openssl CLI: genpkey, req -x509 (CA), genpkey, req -new (CSR), x509 -req with the SANs; verified once with `openssl verify`.",
            "fresh - extc check: what making the certificates and writing the state and the manifests add to a process that only checks the spec.",
        ])
    }

    /// `samples/minimal.ext` issuing `key` keys: the material the openssl recipe makes (a CA and
    /// a serving certificate).
    static func minimal(_ text: String, key: String) -> String {
        text.replacingFirst("\n}", with: "\n  certs { key \(key) }\n}")
    }

    private func sampleBuilds(in dir: String, floors: Floors) throws {
        var table = Table("sample", "extc build, fresh", "extc build, warm", "warm / extc --version")
        let n = iterations
        for sample in try sampleFiles() {
            let name = String(sample.split(separator: "/").last!.dropLast(4))
            let work = "\(dir)/sample-\(name)"
            try FileIO.makeDirectory(work)
            var fresh = Samples(), warm = Samples()
            for i in 0..<n {
                fresh.add(try timed { try build(sample, state: "\(work)/state-\(i)", out: "\(work)/fresh.yaml") })
            }
            for _ in 0..<n {
                warm.add(try timed { try build(sample, state: "\(work)/state-0", out: "\(work)/warm.yaml") })
            }
            table.add(name, ms(fresh.median), ms(warm.median), ratio(warm.median, floors.extc))
        }
        report("`extc build` on each sample (medians of \(n))", table)
    }

    private func build(_ spec: String, state: String, out: String) throws {
        try runCommand([extc, "build", spec, "-o", out, "--state", state])
    }

    private func sampleFiles() throws -> [String] {
        let names = FileIO.list(samples).filter { $0.hasSuffix(".ext") }
        guard !names.isEmpty else { throw BenchError("no samples in \(samples)") }
        return names.map { "\(samples)/\($0)" }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
