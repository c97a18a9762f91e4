/// extc's exit codes (documented in README, "Exit codes").
public enum ExitStatus: Int32, Sendable {
    /// Success; warnings may have been printed.
    case success = 0
    /// The spec has errors (diagnostics were printed).
    case specErrors = 1
    /// `--check` found output (or formatting) that differs from what the spec now produces.
    case drift = 2
    /// Bad command-line usage (swift-argument-parser's code).
    case usage = 64
    /// An internal error: generated objects failed extc's own consistency checks (a bug).
    case internalError = 70
    /// A file could not be read or written.
    case ioError = 74
}
