import Foundation
import Testing

/// Golden files: `EXTC_RECORD=1 swift test` rewrites them; otherwise output must match byte for byte.
enum Golden {
    static var recording: Bool { ProcessInfo.processInfo.environment["EXTC_RECORD"] == "1" }

    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = "\(Paths.golden)/\(name)"
        if recording {
            Paths.write(actual, to: path)
            return
        }
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing golden file \(name); run `EXTC_RECORD=1 swift test`", sourceLocation: sourceLocation)
            return
        }
        let expected = Paths.read(path)
        if actual != expected {
            let first = zip(actual.split(separator: "\n", omittingEmptySubsequences: false),
                            expected.split(separator: "\n", omittingEmptySubsequences: false)).enumerated()
                .first { $0.element.0 != $0.element.1 }
            let detail = first.map { "line \($0.offset + 1):\n  actual:   \($0.element.0)\n  expected: \($0.element.1)" } ?? "lengths differ"
            Issue.record("\(name) differs from its golden file (EXTC_RECORD=1 re-records)\n\(detail)", sourceLocation: sourceLocation)
        }
    }
}
