import ArgumentParser
import ExtcCerts
#if canImport(Glibc)
import Glibc
#endif

/// `extc-bench`: the benchmarks behind the figures in README. Every figure is reported next to a
/// baseline measured in the same invocation (a newline scan, the openssl CLI, a fresh process),
/// so a ratio holds across machines where absolute times do not. Run it through `bench/run.sh`,
/// which builds release binaries first.
@main
struct ExtcBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extc-bench",
        abstract: "Benchmarks for extc: front-end throughput, certificates against the openssl CLI, watch latency.",
        subcommands: [All.self, FrontEnd.self, Certs.self, Watch.self, Scale.self, ExitDuringWarmUp.self],
        defaultSubcommand: All.self)
}

struct Binary: ParsableArguments {
    @Option(help: "The extc binary to measure (a release build).")
    var extc = ".build/release/extc"

    @Option(help: "The samples directory.")
    var samples = "samples"

    func validate() throws {
        guard access(extc, X_OK) == 0 else { throw ValidationError("no executable at \(extc); run bench/run.sh, which builds it") }
    }
}

extension ExtcBench {
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every benchmark with its default sizes.")
        @OptionGroup var binary: Binary

        func run() throws {
            let paths = ["--extc", binary.extc, "--samples", binary.samples]
            try FrontEnd.parse([]).execute()
            try Certs.parse(paths).execute()
            try Watch.parse(paths).execute()
        }
    }

    struct FrontEnd: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "frontend", abstract: "Lex, parse and check a generated spec; throughput and linearity.")
        @Option(help: "API servers in the largest spec.") var servers = 1000
        @Option(help: "Resources per server.") var resources = 10
        @Option(help: "Runs per size; the median is reported.") var repeats = 7
        @Option(help: "Fail when the cost per byte grows more than this from the smallest size to the largest.")
        var maxGrowth = 1.5

        func run() throws { try execute() }
        func execute() throws {
            guard servers >= 1, resources >= 1, repeats >= 1 else { throw ValidationError("sizes must be positive") }
            printHeader()
            try FrontEndBench(servers: servers, resources: resources, repeats: repeats, maxGrowth: maxGrowth).run()
        }
    }

    struct Certs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "`extc build` with fresh and with reused state against the openssl CLI, per key type.")
        @OptionGroup var binary: Binary
        @Option(help: "Iterations per key type (RSA 3072 and 4096 use half, at least 1).") var iterations = 20
        @Option(parsing: .upToNextOption, help: "Key types to measure.") var keys = CertBench.allKeys

        func run() throws { try execute() }
        func execute() throws {
            guard iterations >= 1 else { throw ValidationError("--iterations must be positive") }
            printHeader()
            try CertBench(extc: binary.extc, samples: binary.samples, iterations: iterations, keys: keys).run()
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save-to-output latency of `extc watch` against a fresh `extc build` process.")
        @OptionGroup var binary: Binary
        @Option(help: "Saves per settle time.") var saves = 100
        @Option(parsing: .upToNextOption, help: "Settle times to measure, in ms (0 isolates the rebuild itself).")
        var settle: [Int] = [0, 50]

        func run() throws { try execute() }
        func execute() throws {
            guard saves >= 1 else { throw ValidationError("--saves must be positive") }
            printHeader()
            try WatchBench(extc: binary.extc, samples: binary.samples, saves: saves, settles: settle).run()
        }
    }
}

extension ExtcBench {
    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Builds at scale: N generated servers checked, built fresh and warm, and watched; the issue #13 table.")
        @OptionGroup var binary: Binary
        @Option(help: "API servers in the generated spec.") var servers = 1000
        @Option(help: "A second, larger spec for the per-server cost at scale (0 skips it).") var large = 10000
        @Option(help: "Runs per figure; the median is reported.") var repeats = 5
        @Option(help: "Runs of each RSA-2048 figure (RSA-4096: half); prime search varies too much for fewer.") var rsaRepeats = 16
        @Flag(help: "Only the watch rows (to compare two builds of the watch; the rest of the table takes minutes).") var watchOnly = false

        func run() throws {
            guard servers >= 1, repeats >= 1, rsaRepeats >= 2 else { throw ValidationError("sizes must be positive") }
            printHeader()
            try ScaleBench(extc: binary.extc, samples: binary.samples, servers: servers, large: large, repeats: repeats, rsaRepeats: rsaRepeats,
                           watchOnly: watchOnly).run()
        }
    }
}

extension ExtcBench {
    /// Not a benchmark: a process that starts `OpenSSLWarmUp`, as `extc build` does before parsing
    /// its command line, and ends `--after` microseconds later while the warm-up may still be
    /// inside OpenSSL. The tests run it (a debug `extc` parses too slowly to end that early) to
    /// check that such an exit is clean.
    struct ExitDuringWarmUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "exit-during-warm-up", abstract: "Start OpenSSL's warm-up, then exit (for the tests).", shouldDisplay: false)
        @Option(help: "Microseconds between starting the warm-up and exiting.") var after: UInt32 = 0

        func run() throws {
            OpenSSLWarmUp.start()
            if after > 0 { usleep(after) }
            Glibc.exit(0)
        }
    }
}

/// One line on what the figures were measured on, printed once per run.
nonisolated(unsafe) private var headerPrinted = false

private func printHeader() {
    guard !headerPrinted else { return }
    headerPrinted = true
    var name = utsname()
    uname(&name)
    let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    print("# extc-bench: \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs, \(machine); medians unless stated")
}
