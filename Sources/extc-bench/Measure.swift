#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC: never steps, unaffected by NTP slews of the wall clock).
func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` once and returns its duration in seconds.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return Double(now() - start) / 1e9
}

/// Durations of repeated runs of one thing, in seconds. Summaries are order statistics (median,
/// p99), which a few slow outliers on a shared machine do not drag the way a mean would.
struct Samples {
    private(set) var values: [Double] = []

    mutating func add(_ seconds: Double) { values.append(seconds) }

    var count: Int { values.count }
    var min: Double { values.min() ?? .nan }
    var max: Double { values.max() ?? .nan }
    var median: Double { quantile(0.5) }
    var p99: Double { quantile(0.99) }

    /// Nearest-rank quantile: the smallest sample with at least q of the samples at or below it.
    func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }
}

/// Fixed-point formatting without Foundation: `fixed(3.14159, 2) == "3.14"`.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "n/a" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let fraction = String(Int(scaled - Double(whole) * scale))
        text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
    return text
}

func ms(_ seconds: Double) -> String { fixed(seconds * 1000, seconds < 0.01 ? 2 : 1) + " ms" }
/// `a / b` as "0.25x"; small ratios keep three significant decimals ("0.0035x"), not "0.00x".
func ratio(_ a: Double, _ b: Double) -> String {
    let r = a / b
    return fixed(r, r >= 0.1 || !r.isFinite ? 2 : r >= 0.01 ? 3 : 4) + "x"
}
