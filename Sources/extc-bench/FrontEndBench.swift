import ExtcCheck
import ExtcSyntax

/// Front-end throughput and linearity on a generated spec.
///
/// Each stage runs on the same in-memory bytes (no file I/O), `repeats` times at each of three
/// sizes (a quarter, a half and all of the requested spec); the figure is the median. The baseline
/// is a newline count over the same bytes, the floor any reader of the file pays.
struct FrontEndBench {
    let servers: Int
    let resources: Int
    let repeats: Int
    /// The largest tolerated growth of cost per byte from the smallest size to the largest.
    let maxGrowth: Double

    struct Row {
        let servers: Int
        let bytes: Int
        let lines: Int
        let scan: Double, lex: Double, parse: Double, check: Double
        var frontEnd: Double { parse + check }
    }

    func run() throws {
        let sizes = [servers / 4, servers / 2, servers].map { Swift.max(1, $0) }
        let rows = try sizes.map(measure)
        let full = rows[rows.count - 1], small = rows[0]

        var stages = Table("stage", "time", "MB/s", "lines/s", "x baseline")
        func add(_ name: String, _ t: Double) {
            stages.add(name, ms(t), fixed(Double(full.bytes) / t / 1e6, 1),
                       fixed(Double(full.lines) / t, 0), ratio(t, full.scan))
        }
        add("baseline: newline count", full.scan)
        add("lex", full.lex)
        add("lex + parse", full.parse)
        add("check (typed IR)", full.check)
        add("front end (lex + parse + check)", full.frontEnd)
        report("Front end: \(full.servers) servers, \(full.servers * resources) resources, "
               + "\(fixed(Double(full.bytes) / 1e6, 2)) MB, \(full.lines) lines (median of \(repeats))", stages)

        var scaling = Table("servers", "bytes", "front end", "ns/byte", "ns/byte vs smallest")
        let perByte = rows.map { $0.frontEnd / Double($0.bytes) * 1e9 }
        for (row, nsPerByte) in zip(rows, perByte) {
            scaling.add(String(row.servers), String(row.bytes), ms(row.frontEnd), fixed(nsPerByte, 1), ratio(nsPerByte, perByte[0]))
        }
        let growth = perByte[perByte.count - 1] / perByte[0]
        let verdict = growth <= maxGrowth
            ? "Linear: \(fixed(Double(full.bytes) / Double(small.bytes), 1))x the input costs \(fixed(full.frontEnd / small.frontEnd, 2))x the time "
                + "(cost per byte \(fixed(growth, 2))x; the limit is \(fixed(maxGrowth, 2))x)."
            : "NOT LINEAR: cost per byte grew \(fixed(growth, 2))x from the smallest to the largest input (the limit is \(fixed(maxGrowth, 2))x)."
        report("Front end scaling", scaling, notes: [verdict])
        guard growth <= maxGrowth else { throw BenchError("the front end is not linear in input size") }
    }

    private func measure(servers n: Int) throws -> Row {
        let text = SpecGenerator(servers: n, resourcesPerServer: resources).text()
        let file = SourceFile(path: "generated.ext", bytes: Array(text.utf8))
        try validate(file, servers: n)
        var scan = Samples(), lex = Samples(), parse = Samples(), check = Samples()
        var lines = 0
        for _ in 0..<repeats {
            scan.add(timed { lines = countLines(file.bytes) })
            lex.add(timed { blackHole(Lexer.tokenize(file).tokens.count) })
            var syntax: FileSyntax?
            parse.add(timed { syntax = Parser.parse(file).syntax })
            check.add(timed { blackHole(Checker.check([syntax!]).program?.servers.count ?? 0) })
        }
        return Row(servers: n, bytes: file.bytes.count, lines: lines,
                   scan: scan.median, lex: lex.median, parse: parse.median, check: check.median)
    }

    /// A benchmark of a spec with errors would time error recovery, not the front end.
    private func validate(_ file: SourceFile, servers n: Int) throws {
        let (syntax, syntaxDiagnostics) = Parser.parse(file)
        let (program, diagnostics) = Checker.check([syntax])
        let all = syntaxDiagnostics + diagnostics
        guard all.isEmpty, program?.servers.count == n,
              program?.servers.reduce(0, { $0 + $1.groups.reduce(0) { $0 + $1.resources.count } }) == n * resources else {
            let first = all.first.map { "\($0.code.rawValue): \($0.message)" } ?? "wrong server or resource count"
            throw BenchError("the generated spec does not check cleanly (\(all.count) diagnostics; first: \(first))")
        }
    }
}

private func countLines(_ bytes: [UInt8]) -> Int {
    var n = 0
    for b in bytes where b == UInt8(ascii: "\n") { n += 1 }
    return n
}

/// Keeps a result alive so the optimizer cannot drop the work that produced it.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
